// The member page: tell the club once that the page was shown in a browser (the link's "open"). Link previewers
// fetch the page but run no script, or never show it, so the GET alone counts nothing.
(function () {
  "use strict";
  const header = document.querySelector("header.club[data-viewed]");
  if (!header) {
    return;
  }
  let posted = false;

  function post() {
    if (posted) {
      return;
    }
    posted = true;
    document.removeEventListener("visibilitychange", onVisibility);
    fetch(header.dataset.viewed, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": header.dataset.csrf || "", "X-Requested-With": "fetch" },
      keepalive: true,
    }).catch(function () { /* an open not counted is no harm to the member */ });
  }

  function onVisibility() {
    if (document.visibilityState === "visible") {
      post();
    }
  }

  function start() {
    if (document.visibilityState === "visible") {
      post();
    } else {
      document.addEventListener("visibilitychange", onVisibility);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
