// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  function enhance(root) {
    root.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      var form = select.form;
      var button = form && form.querySelector("[data-autosubmit-button]");
      if (button) { button.classList.add("visually-hidden"); }
      select.addEventListener("change", function () { form.requestSubmit(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });

  // The phone menu: one button folds the main menu and the organisation switch open and shut.
  function setMenu(toggle, open) {
    var menu = document.getElementById(toggle.getAttribute("aria-controls"));
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (menu) { menu.classList.toggle("open", open); }
    var header = toggle.closest("header");
    if (header) { header.classList.toggle("menu-open", open); }
  }
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".nav-toggle");
    if (toggle) { setMenu(toggle, toggle.getAttribute("aria-expanded") !== "true"); }
    // Close the header's drop-down menus (<details>) when clicking elsewhere.
    document.querySelectorAll("details.header-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
    });
  });
  // One header menu open at a time: opening one closes the others and the phone menu.
  document.addEventListener("toggle", function (event) {
    var opened = event.target;
    if (!opened.matches || !opened.matches("details.header-menu") || !opened.open) { return; }
    document.querySelectorAll("details.header-menu[open]").forEach(function (menu) {
      if (menu !== opened) { menu.removeAttribute("open"); }
    });
    document.querySelectorAll(".nav-toggle[aria-expanded='true']").forEach(function (toggle) {
      setMenu(toggle, false);
    });
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll("details.header-menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
    document.querySelectorAll(".nav-toggle[aria-expanded='true']").forEach(function (toggle) {
      setMenu(toggle, false);
      toggle.focus();
    });
  });
})();
