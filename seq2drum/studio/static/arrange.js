// The song's arrangement (issue 87): each section with the parts it can play, best first (the first three as
// buttons, the others in a list), and the musician's choice per section, written into the form's `parts` as
// KEY=ID entries, as --parts on the command line. Sections left alone are the model's to plan.
"use strict";

const Arrangement = (() => {
  const chosen = new Map();  // section key -> part id

  function write() {
    Form.set("parts", [...chosen].map(([key, id]) => `${key}=${id}`).join("; "));
  }

  function mark(line, key) {
    const id = chosen.has(key) ? chosen.get(key) : null;
    let onButton = false;
    for (const button of line.querySelectorAll("button.part")) {
      const on = Number(button.dataset.id) === id;
      button.classList.toggle("chosen", on);
      button.setAttribute("aria-pressed", String(on));
      onButton = onButton || on;
    }
    line.querySelector("select").value = id !== null && !onButton ? String(id) : "";
  }

  function choose(line, key, id) {
    if (id === null || chosen.get(key) === id) chosen.delete(key);
    else chosen.set(key, id);
    mark(line, key);
    write();
  }

  function row(section) {
    const line = document.createElement("div");
    line.className = "section-row";
    line.dataset.key = section.key;
    const name = document.createElement("strong");
    name.textContent = section.key;
    const bars = document.createElement("small");
    bars.textContent = `bars ${section.first_bar}-${section.first_bar + section.bars - 1} (${section.meter_family})`;
    line.append(name, bars);
    section.parts.slice(0, 3).forEach((part, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "part";
      button.dataset.id = String(part.id);
      button.textContent = `${index + 1}. ${part.name}`;
      button.addEventListener("click", () => choose(line, section.key, part.id));
      line.append(button);
    });
    const more = document.createElement("select");
    more.setAttribute("aria-label", `more parts for ${section.key}`);
    more.append(new Option("more parts ...", ""));
    for (const part of section.parts.slice(3)) more.append(new Option(part.name, String(part.id)));
    more.addEventListener("change", () => choose(line, section.key, more.value === "" ? null : Number(more.value)));
    line.append(more);
    return line;
  }

  function show(holder, sections) {
    chosen.clear();
    write();
    holder.replaceChildren(...sections.map(row));
  }

  function clear(holder) {
    show(holder, []);
  }

  return {show, clear};
})();
