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
