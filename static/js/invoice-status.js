// An invoice being stamped (or whose cancellation awaits acceptance) reloads itself once its
// status changes, polling a small JSON endpoint.
(function () {
  "use strict";
  var card = document.getElementById("invoice-status");
  if (!card || !card.dataset.pollUrl) { return; }
  var delay = 1500;
  function poll() {
    fetch(card.dataset.pollUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (state.status !== card.dataset.status || state.cancellation_status !== card.dataset.cancellation) {
          window.location.reload();
          return;
        }
        delay = Math.min(delay * 1.5, 15000);
        setTimeout(poll, delay);
      })
      .catch(function () { setTimeout(poll, 15000); });
  }
  setTimeout(poll, delay);
})();
