/*
 * clicSÉQUR – Entreprises: progressive enhancement only; every page works without it.
 *
 * When a form comes back with errors, move focus to the error summary so that screen reader
 * and keyboard users start from the list of problems. Following a link of the summary then
 * puts focus in the field itself, with its label in view.
 */
(function () {
  "use strict";

  function focusField(event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) {
      return;
    }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) {
      return;
    }
    event.preventDefault();
    var label = document.querySelector("label[for='" + target.id + "']");
    (label || target).scrollIntoView();
    target.focus({ preventScroll: true });
  }

  // Buttons marked data-print open the browser's print dialog (acknowledgements).
  function initPrintButtons() {
    var buttons = document.querySelectorAll("[data-print]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener("click", function () {
        window.print();
      });
    }
  }

  // A form marked data-auto-submit (a SAML message for a service) goes at once; its button
  // stays for browsers without script.
  function initAutoSubmit() {
    var form = document.querySelector("form[data-auto-submit]");
    if (form) {
      form.submit();
    }
  }

  // A link marked data-auto-follow (the next step of a single logout) is followed at once: a
  // navigation the page starts itself, which the site that posted the sign-out form cannot
  // restrict with its own form-action policy, as it would a chain of redirects.
  function initAutoFollow() {
    var link = document.querySelector("a[data-auto-follow]");
    if (link) {
      window.location.replace(link.href);
    }
  }

  function init() {
    initPrintButtons();
    initAutoSubmit();
    initAutoFollow();
    var summary = document.querySelector(".error-summary");
    if (!summary) {
      return;
    }
    summary.addEventListener("click", focusField);
    summary.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
