// s11's own script: starts GOV.UK Frontend and warns before a session times out.
// Every page works without it.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();

// WCAG 2.2.1: warn two minutes before the idle time-out and let the person stay signed in.
const WARN_BEFORE_SECONDS = 120;

function startTimeoutWarning() {
  const dialog = document.getElementById("session-timeout");
  if (!dialog || typeof dialog.showModal !== "function") return;
  let remaining = Number(document.body.dataset.sessionSeconds || 0);
  if (!remaining) return;
  const token = document.body.dataset.csrfToken;
  const countdown = dialog.querySelector("[data-countdown]");
  let warnTimer, endTimer;

  const schedule = () => {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(() => {
      countdown.textContent = "2 minutes";
      dialog.showModal();
    }, Math.max(0, (remaining - WARN_BEFORE_SECONDS) * 1000));
    endTimer = setTimeout(() => {
      window.location.href = "/sign-in?timeout=1&next=" + encodeURIComponent(window.location.pathname);
    }, remaining * 1000);
  };

  dialog.querySelector("[data-stay-signed-in]").addEventListener("click", async () => {
    const response = await fetch("/session/keep-alive", {
      method: "POST",
      headers: { "X-CSRF-Token": token },
      credentials: "same-origin",
    });
    if (response.ok) {
      remaining = Number(document.body.dataset.sessionSeconds);
      dialog.close();
      schedule();
    } else {
      window.location.href = "/sign-in?timeout=1";
    }
  });
  schedule();
}

startTimeoutWarning();

// Follow-up questions: the server decides which are asked (app/questionnaires/rules.py) and
// answers into the status line; this only shows and hides them as it says. A hidden one keeps
// what was typed into it, and focus stays where the person is.
document.body.addEventListener("htmx:afterSwap", (event) => {
  const status = event.detail.target;
  if (!status.matches("[data-follow-up-status]")) return;
  const answer = status.querySelector("[data-shown]");
  if (!answer) return;
  const shown = new Set(answer.dataset.shown.split(" ").filter(Boolean));
  status.closest("form").querySelectorAll("[data-follow-up]").forEach((block) => {
    const open = shown.has(block.dataset.followUp);
    block.hidden = !open;
    const marker = block.querySelector("[data-shown-marker]");
    if (marker) marker.disabled = !open;
  });
});
