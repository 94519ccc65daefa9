// Runs before the page is drawn (not deferred, tiny): marks that JavaScript works, so the phone
// menu can start folded behind its button without a flash. Without JavaScript it stays open.
document.documentElement.classList.add("js");
