// Suggests providers from the register while the sender types their name, on the public contact form.
// Progressive enhancement: without this script the sender selects Find and chooses from the list the page shows.
// Choosing a suggestion fills in the box and records the provider's ODS code in a hidden field; typing again
// clears it, so that what is sent is always either a provider chosen from the register or the sender's own words.
const search = document.querySelector("[data-provider-search]");

if (search) {
  const input = search.querySelector("input[name='provider_name']");
  const list = search.querySelector("[data-provider-suggestions]");
  const status = search.querySelector("[data-provider-status]");
  const url = search.dataset.suggestUrl;
  const form = search.closest("form");
  let chosen = form.querySelector("input[type='hidden'][name='provider']");
  let timer = null;
  let asked = "";

  const choose = (provider) => {
    if (!chosen) {
      chosen = document.createElement("input");
      chosen.type = "hidden";
      chosen.name = "provider";
      form.appendChild(chosen);
    }
    chosen.value = provider.ods_code;
    input.value = provider.name;
    list.hidden = true;
    list.replaceChildren();
    status.textContent = `${provider.name} chosen.`;
    input.focus();
  };

  const show = (results) => {
    list.replaceChildren();
    for (const provider of results) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sfr-provider-suggestion";
      button.textContent = provider.name;
      button.addEventListener("click", () => choose(provider));
      item.appendChild(button);
      list.appendChild(item);
    }
    list.hidden = results.length === 0;
    status.textContent = results.length
      ? `${results.length} suggestion${results.length === 1 ? "" : "s"}: press Tab to reach them.`
      : "No suggestions.";
  };

  const suggest = async () => {
    const text = input.value.trim();
    if (text.length < 2 || text === asked) return;
    asked = text;
    try {
      const response = await fetch(`${url}?q=${encodeURIComponent(text)}`, { headers: { Accept: "application/json" } });
      if (response.ok && input.value.trim() === text) show((await response.json()).results);
    } catch (error) {
      // No suggestions when offline: Find still works.
    }
  };

  input.addEventListener("input", () => {
    if (chosen) chosen.value = "";
    window.clearTimeout(timer);
    timer = window.setTimeout(suggest, 250);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      list.hidden = true;
    }
  });
}
