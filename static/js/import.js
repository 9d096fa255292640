// The import page's progress bar: poll the job's status until it ends, then show the result.
(function () {
  const job = document.getElementById("job");
  if (!job || job.dataset.status !== "running") return;
  const bar = document.getElementById("progress");
  const percent = document.getElementById("percent");
  async function poll() {
    let state;
    try {
      const response = await fetch(job.dataset.statusUrl, { headers: { "Accept": "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      state = await response.json();
    } catch (error) {
      setTimeout(poll, 2000);   // a dropped connection: try again a little later
      return;
    }
    bar.value = state.percent;
    percent.textContent = String(state.percent);
    if (!state.finished) {
      setTimeout(poll, 500);
      return;
    }
    // The result (and the refused rows) as the finished page shows them.
    window.location.reload();
  }
  poll();
})();
