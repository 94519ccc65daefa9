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
  // Close the user menu when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
    });
  });
})();
