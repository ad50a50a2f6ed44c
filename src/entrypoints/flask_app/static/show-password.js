// A "Show" button beside each password field marked data-show-password.
// Progressive enhancement: without this file the field is a plain password field; the
// button exists only where this script ran. Loaded as a file (the CSP allows no inline
// script).
(function () {
  "use strict";

  function enhance(input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "reveal";
    button.textContent = "Show";
    button.setAttribute("aria-label", "Show password");
    button.setAttribute("aria-pressed", "false");
    if (input.id) {
      button.setAttribute("aria-controls", input.id);
    }
    button.addEventListener("click", function () {
      var shown = input.type === "password";
      input.type = shown ? "text" : "password";
      button.textContent = shown ? "Hide" : "Show";
      button.setAttribute("aria-label", shown ? "Hide password" : "Show password");
      button.setAttribute("aria-pressed", shown ? "true" : "false");
      input.focus();
    });
    // Sent as a password whatever its state: a browser offers to save it only then.
    if (input.form) {
      input.form.addEventListener("submit", function () {
        input.type = "password";
      });
    }
    input.insertAdjacentElement("afterend", button);
    input.parentElement.classList.add("has-reveal");
  }

  document.querySelectorAll("input[data-show-password]").forEach(enhance);
})();
