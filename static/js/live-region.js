// A region marked data-refresh (a background job's progress) updates itself in place, read by
// screen readers as a polite live region, instead of a timed reload of the whole page (which
// moves the focus and the reading position, WCAG 2.2.1). It stops once the server's copy of
// the region no longer carries data-refresh.
(function () {
  "use strict";
  var region = document.querySelector("[data-refresh]");
  if (!region || !region.id) { return; }
  var delay = Number(region.dataset.refresh) || 3000;
  function poll() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
        if (!fresh) { return; }
        region.innerHTML = fresh.innerHTML;
        if (fresh.hasAttribute("data-refresh")) { setTimeout(poll, delay); }
      })
      .catch(function () { setTimeout(poll, delay * 5); });
  }
  setTimeout(poll, delay);
})();
