// Keeps a cohort import's progress page up to date while the import runs, without reloading the page.
// Progressive enhancement: without this script the page offers a link to refresh it, or to refresh it
// automatically, as the reader chooses.
const region = document.querySelector("[data-import-progress]");

if (region) {
  const every = Number(region.dataset.refreshSeconds || "3") * 1000;
  const stop = document.querySelector("[data-stop-updates]");
  let timer = null;

  const update = async () => {
    try {
      const response = await fetch(window.location.pathname, { credentials: "same-origin" });
      if (response.ok) {
        const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
        const freshRegion = fresh.querySelector("[data-import-progress]");
        if (!freshRegion) {
          // Finished: show the outcome, and any problems found, in place of the progress.
          const main = document.querySelector("main");
          const freshMain = fresh.querySelector("main");
          if (main && freshMain) main.replaceWith(freshMain);
          return;
        }
        region.querySelector("[data-progress-content]").replaceWith(freshRegion.querySelector("[data-progress-content]"));
      }
    } catch (error) {
      // A dropped connection: try again at the next tick.
    }
    timer = window.setTimeout(update, every);
  };

  if (stop) {
    stop.hidden = false;
    stop.addEventListener("click", () => {
      window.clearTimeout(timer);
      stop.hidden = true;
    });
  }
  timer = window.setTimeout(update, every);
}
