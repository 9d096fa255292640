// The import page while the file is being checked: poll the job's status and show the check's progress,
// then reload to show the stored preview (or why the file was refused).
(function () {
  const check = document.getElementById("check");
  if (!check || check.dataset.status !== "checking") return;
  const bar = document.getElementById("check-progress");
  const percent = document.getElementById("check-percent");
  async function poll() {
    let state;
    try {
      const response = await fetch(check.dataset.statusUrl, { headers: { "Accept": "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      state = await response.json();
    } catch (error) {
      setTimeout(poll, 2000);   // a dropped connection: try again a little later
      return;
    }
    if (state.status === "checking") {
      const shown = Math.min(state.percent, 99);   // the total is an estimate until the file has been read
      bar.value = shown;
      percent.textContent = String(shown);
      setTimeout(poll, 500);
      return;
    }
    window.location.reload();
  }
  poll();
})();
