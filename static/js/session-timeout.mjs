// The idle sign-out warning (WCAG 2.2.1 Timing adjustable). Two minutes before the session ends for being idle,
// a dialog says so and offers to stay signed in; "Stay signed in" starts the server's idle clock again. If the
// time runs out, the dialog says what has happened; a form sent after that is kept by the server until the
// person signs in again, so nothing typed is lost. Without this script the same forms still work.

const dialog = document.getElementById("session-timeout");

if (dialog instanceof HTMLDialogElement) {
  const text = document.getElementById("session-timeout-text");
  const stayForm = dialog.querySelector("form");
  const warnSeconds = Number(dialog.dataset.warnSeconds || "120");
  let timers = [];

  const schedule = (secondsLeft) => {
    timers.forEach((timer) => window.clearTimeout(timer));
    timers = [
      window.setTimeout(warn, Math.max(0, secondsLeft - warnSeconds) * 1000),
      window.setTimeout(signedOut, secondsLeft * 1000),
    ];
  };

  const warn = () => {
    if (!dialog.open) {
      dialog.showModal();
    }
  };

  const signedOut = () => {
    if (text) {
      text.textContent = text.dataset.signedOutText || "";
    }
    if (stayForm) {
      stayForm.hidden = true;
    }
    warn();
  };

  stayForm?.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const response = await fetch(stayForm.action, {
        method: "POST",
        body: new FormData(stayForm),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const answer = response.ok ? await response.json() : null;
      if (answer && typeof answer.seconds_left === "number" && answer.seconds_left > 0) {
        dialog.close();
        schedule(answer.seconds_left);
        return;
      }
    } catch {
      // The answer was not the session's: the session has ended, or the network failed.
    }
    signedOut();
  });

  schedule(Number(dialog.dataset.secondsLeft || "1800"));
}
