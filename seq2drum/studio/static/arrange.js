// The song's arrangement (issue 87): each section with the parts it can play, best first (the first three as
// buttons, the others in a list), and the musician's choice per section, written into the form's `parts` as
// KEY=ID entries, as --parts on the command line; another song's drummer's arrangement fills them (`borrow`).
// Sections left alone are the model's to plan. Read again (the
// guitar or what the drums hear changed), a choice stays where its section still is and can still play it.
"use strict";

const Arrangement = (() => {
  const chosen = new Map();  // section key -> part id
  const SHOWN = 3;  // parts up front; the others in the list
  const MODELS = "the model's choice";

  function write() {
    Form.set("parts", [...chosen].map(([key, id]) => `${key}=${id}`).join("; "));
  }

  function ordinal(n) {
    const tens = n % 100;
    const suffix = tens >= 11 && tens <= 13 ? "th" : ({1: "st", 2: "nd", 3: "rd"}[n % 10] || "th");
    return `${n}${suffix}`;
  }

  function mark(line, section) {
    const id = chosen.has(section.key) ? chosen.get(section.key) : null;
    let onButton = false;
    for (const button of line.querySelectorAll("button.part")) {
      const on = Number(button.dataset.id) === id;
      button.classList.toggle("chosen", on);
      button.setAttribute("aria-pressed", String(on));
      onButton = onButton || on;
    }
    line.querySelector("select").value = id !== null && !onButton ? String(id) : "";
    const part = section.parts.find((found) => found.id === id);
    const said = line.querySelector(".section-choice");
    said.textContent = part ? `yours: ${part.name}` : MODELS;
    said.classList.toggle("yours", Boolean(part));
    said.title = section.borrowed ? `from the other song: ${section.borrowed.words}` : "";
  }

  function choose(line, section, id) {
    if (id === null || chosen.get(section.key) === id) chosen.delete(section.key);
    else chosen.set(section.key, id);
    mark(line, section);
    write();
  }

  // "A" with "2nd time · bars 17-24 · 4/4" under it (the time said only for a letter that comes back).
  function heading(section, times) {
    const name = document.createElement("div");
    name.className = "section-name";
    const letter = document.createElement("strong");
    letter.textContent = section.label || section.key;
    const where = document.createElement("small");
    const last = section.first_bar + section.bars - 1;
    where.textContent = [times > 1 ? `${ordinal(section.occurrence || 1)} time` : "",
                         section.bars > 1 ? `bars ${section.first_bar}-${last}` : `bar ${section.first_bar}`,
                         section.meter_family].filter(Boolean).join(" · ");
    name.append(letter, where);
    return name;
  }

  function row(section, times) {
    const line = document.createElement("div");
    line.className = "section-row";
    line.dataset.key = section.key;
    const parts = document.createElement("div");
    parts.className = "section-parts";
    section.parts.slice(0, SHOWN).forEach((part, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "part";
      button.dataset.id = String(part.id);
      button.textContent = `${index + 1}. ${part.name}`;
      button.addEventListener("click", () => choose(line, section, part.id));
      parts.append(button);
    });
    const more = document.createElement("select");
    more.setAttribute("aria-label", `more parts for ${section.key}`);
    more.append(new Option(`${Math.max(0, section.parts.length - SHOWN)} more parts ...`, ""));
    section.parts.slice(SHOWN).forEach((part, index) => {
      more.append(new Option(`${index + SHOWN + 1}. ${part.name}`, String(part.id)));
    });
    more.disabled = section.parts.length <= SHOWN;
    more.addEventListener("change", () => choose(line, section, more.value === "" ? null : Number(more.value)));
    parts.append(more);
    const said = document.createElement("span");
    said.className = "section-choice note";
    line.append(heading(section, times), parts, said);
    mark(line, section);
    return line;
  }

  // Another song's drummer's arrangement (the form's "parts from" file, issue 101): the part it gives each section
  // fills that section's choice, once for each new mapping (choices made after it stay when the song is read again).
  let filled = "";
  function borrow(sections) {
    const given = sections.filter((section) => section.borrowed);
    const mapping = JSON.stringify(given.map((section) => [section.key, section.borrowed.id]));
    if (!given.length || mapping === filled) return;
    filled = mapping;
    for (const section of given) {
      if (section.borrowed.id === null) chosen.delete(section.key);
      else chosen.set(section.key, section.borrowed.id);
    }
  }

  function show(holder, sections) {
    borrow(sections);
    for (const [key, id] of [...chosen]) {
      const section = sections.find((found) => found.key === key);
      if (!section || !section.parts.some((part) => part.id === id)) chosen.delete(key);
    }
    write();
    const times = {};
    for (const section of sections) times[section.label] = (times[section.label] || 0) + 1;
    holder.replaceChildren(...sections.map((section) => row(section, times[section.label])));
  }

  function clear(holder) {
    chosen.clear();
    filled = "";
    show(holder, []);
  }

  return {show, clear};
})();
