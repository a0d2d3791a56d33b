// Progressive enhancement only: every page works without this script.
import { initAll } from "../vendor/nhsuk/nhsuk-frontend.min.mjs";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
