// The queue follows the live ticket stream and refreshes its rows in place.
(function () {
  const rows = document.getElementById("rows");
  const live = document.getElementById("live");
  if (!rows || !window.EventSource) return;
  let pending = null;
  const refresh = () => {
    pending = null;
    fetch("/queue/rows?" + rows.dataset.query, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
      .then((html) => {
        rows.innerHTML = html;
        live.textContent = "Queue updated " + new Date().toLocaleTimeString();
      })
      .catch(() => { live.textContent = "Live updates paused: reload the page."; });
  };
  const source = new EventSource("/api/v1/stream/tickets");
  source.onmessage = source.onerror = null;
  source.addEventListener("open", () => { live.textContent = "Live: the queue updates itself."; });
  const kinds = ["ticket.opened", "ticket.booked", "ticket.escalated", "ticket.closed",
    "ticket.reassigned", "promise.at_risk", "acknowledged"];
  kinds.forEach((k) => source.addEventListener(k, () => {
    if (!pending) pending = setTimeout(refresh, 500);
  }));
})();
