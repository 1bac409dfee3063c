// Small niceties only: every flow works without this file.
(function () {
  "use strict";
  // A double tap on a touch screen must not send a form twice (it would add two pictures or
  // two answers): after the first submit, the form's buttons wait for the next page.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    window.setTimeout(function () { delete form.dataset.sent; }, 4000);
  });
})();

// Quick hide: swap the page for a neutral one at once, without leaving it in the back history.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-quick-hide]");
    if (!link) { return; }
    event.preventDefault();
    document.body.style.visibility = "hidden";
    window.location.replace(link.href);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.shiftKey) {
      var link = document.querySelector("[data-quick-hide]");
      if (link) { window.location.replace(link.href); }
    }
  });
})();
