// An import or export in progress: poll its status, move the bar, reload once it ends.
// Without JavaScript the page refreshes itself (<noscript><meta refresh>).
(function () {
  "use strict";
  var card = document.getElementById("transfer");
  if (!card || !card.dataset.pollUrl) { return; }
  var bar = document.getElementById("transfer-progress");
  var done = card.querySelector("[data-done]");
  function poll() {
    fetch(card.dataset.pollUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (state.status === "done" || state.status === "failed") {
          window.location.reload();
          return;
        }
        bar.max = state.total || 1;
        bar.value = state.processed;
        done.textContent = state.processed;
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
