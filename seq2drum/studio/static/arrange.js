// The song's arrangement (issue 87): each section with the parts it can play, best first (the first three as
// buttons, the others in a list), and the musician's choice per section, written into the form's `parts` as
// KEY=ID entries, as --parts on the command line; another song's drummer's arrangement fills them (`borrow`).
// Sections left alone are the model's to plan. Read again (the
// guitar or what the drums hear changed), a choice stays where its section still is and can still play it.
// Above the sections (issue 101): the song's own drummer's arrangement as one button that fills the choices (as
// `--mode arrange --drummer` reads it; disabled, saying why, for a song without drums), and several sections chosen
// at once: tick rows (or every A, or all), pick one part, and it is theirs.
"use strict";

const Arrangement = (() => {
  const chosen = new Map();  // section key -> part id
  const ticked = new Set();  // section keys selected, to be given one part at once
  let sections = [];  // the song's sections as shown, in the song's order
  let drummer = {sections: 0, why: ""};  // how many sections the song's drummer plays a part in; why none
  let holder = null;
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
    const his = part && section.drummer && section.drummer.id === part.id ? " (the song's drummer's)" : "";
    said.textContent = part ? `yours: ${part.name}${his}` : MODELS;
    said.classList.toggle("yours", Boolean(part));
    said.title = section.borrowed ? `from the other song: ${section.borrowed.words}` : "";
    const tick = line.querySelector("input.pick");
    tick.checked = ticked.has(section.key);
    line.classList.toggle("ticked", tick.checked);
  }

  function markAll() {
    if (!holder) return;
    for (const line of holder.querySelectorAll(".section-row")) {
      const section = sections.find((found) => found.key === line.dataset.key);
      if (section) mark(line, section);
    }
    tools();
  }

  function choose(line, section, id) {
    if (id === null || chosen.get(section.key) === id) chosen.delete(section.key);
    else chosen.set(section.key, id);
    mark(line, section);
    write();
  }

  // Every choice at once, in the song's order: {section key: part id} (a key or part no section has is left out),
  // the other sections left to the model.
  function fill(parts) {
    chosen.clear();
    for (const section of sections) {
      const id = parts[section.key];
      if (id !== undefined && id !== null && section.parts.some((part) => part.id === id)) chosen.set(section.key, id);
    }
    markAll();
    write();
  }

  function useDrummer() {
    const his = {};
    for (const section of sections) if (section.drummer) his[section.key] = section.drummer.id;
    fill(his);
    const set = Object.keys(his).length;
    const left = sections.length - set;
    words(`The song's drummer's arrangement: ${set} section${set === 1 ? "" : "s"} set as he plays them`
      + `${left ? `, ${left} left to the model (no part of his in their meter)` : ""}.`);
  }

  // The parts every ticked section can play (by id: parts of one meter), best first over all of them (the sum of
  // their places in each section's list).
  function shared() {
    const picked = sections.filter((section) => ticked.has(section.key));
    if (!picked.length) return [];
    const places = new Map(picked[0].parts.map((part, index) => [part.id, {part, place: index}]));
    for (const section of picked.slice(1)) {
      const here = new Map(section.parts.map((part, index) => [part.id, index]));
      for (const [id, entry] of [...places]) {
        if (here.has(id)) entry.place += here.get(id);
        else places.delete(id);
      }
    }
    return [...places.values()].sort((a, b) => a.place - b.place || a.part.id - b.part.id).map(({part}) => part);
  }

  function giveTicked(id) {
    for (const key of ticked) {
      if (id === null) chosen.delete(key);
      else chosen.set(key, id);
    }
    const ordered = sections.filter((section) => chosen.has(section.key))
      .map((section) => [section.key, chosen.get(section.key)]);
    chosen.clear();
    for (const [key, value] of ordered) chosen.set(key, value);  // written in the song's order
    markAll();
    write();
  }

  function tick(keys, on) {
    for (const key of keys) {
      if (on) ticked.add(key);
      else ticked.delete(key);
    }
    markAll();
  }

  function words(text) {
    const line = holder && holder.querySelector(".arrangement-said");
    if (line) line.textContent = text;
  }

  function button(text, className, action) {
    const made = document.createElement("button");
    made.type = "button";
    made.className = className;
    made.textContent = text;
    made.addEventListener("click", action);
    return made;
  }

  // Above the rows: the drummer's button, and the selection with its one part for every section ticked.
  function toolbar() {
    const bar = document.createElement("div");
    bar.className = "arrangement-tools";
    const his = document.createElement("div");
    his.className = "drummer-tools";
    const use = button("Use the song's drummer's arrangement", "drummer-arrangement", useDrummer);
    use.id = "drummer-arrangement";
    const why = document.createElement("span");
    why.className = "drummer-words note";
    his.append(use, why);
    const select = document.createElement("div");
    select.className = "pick-tools";
    const label = document.createElement("span");
    label.className = "note";
    label.textContent = "Select:";
    const all = () => tick(sections.map((section) => section.key), ticked.size < sections.length);
    select.append(label, button("all", "pick-all", all));
    const labels = [...new Set(sections.map((section) => section.label || section.key))];
    for (const letter of labels) {
      const keys = sections.filter((section) => (section.label || section.key) === letter).map((s) => s.key);
      if (keys.length < 2) continue;
      const every = button(`every ${letter} (${keys.length})`, "pick-letter",
                           () => tick(keys, !keys.every((key) => ticked.has(key))));
      every.dataset.letter = letter;
      select.append(every);
    }
    select.append(button("none", "pick-none", () => tick([...ticked], false)));
    const part = document.createElement("select");
    part.className = "pick-part";
    part.setAttribute("aria-label", "one part for every section selected");
    part.addEventListener("change", () => {
      if (part.value === "") return;
      giveTicked(part.value === "model" ? null : Number(part.value));
    });
    const said = document.createElement("span");
    said.className = "arrangement-said note";
    said.setAttribute("role", "status");
    select.append(part);
    bar.append(his, select, said);
    return bar;
  }

  // The toolbar's state: the drummer's button (disabled where he plays nothing, saying why), how many sections are
  // ticked and the parts all of them can play.
  function tools() {
    if (!holder) return;
    const use = holder.querySelector("#drummer-arrangement");
    if (!use) return;
    use.disabled = !drummer.sections;
    use.title = drummer.why || "each section set to the part the song's own drummer plays there";
    holder.querySelector(".drummer-words").textContent = drummer.sections
      ? `he plays a part in ${drummer.sections} of the ${sections.length} sections` : drummer.why;
    const part = holder.querySelector(".pick-part");
    const parts = shared();
    const count = ticked.size;
    const head = !count ? "tick sections, then choose one part for all of them"
      : parts.length ? `one part for the ${count} section${count === 1 ? "" : "s"} selected ...`
        : `no part plays in every section selected (their meters differ): select sections of one meter`;
    part.replaceChildren(new Option(head, ""));
    if (count) part.append(new Option(MODELS, "model"));
    parts.forEach((found, index) => part.append(new Option(`${index + 1}. ${found.name}`, String(found.id))));
    part.disabled = !count || !parts.length;
    part.value = "";
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
    const pick = document.createElement("input");
    pick.type = "checkbox";
    pick.className = "pick";
    pick.setAttribute("aria-label", `select ${section.key}`);
    pick.addEventListener("change", () => tick([section.key], pick.checked));
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
    line.append(pick, heading(section, times), parts, said);
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

  // `mine`: the studio's {sections, why} of the song's drummer (none for a song not read).
  function show(target, shown, mine = {sections: 0, why: ""}) {
    holder = target;
    sections = shown;
    drummer = mine;
    borrow(sections);
    for (const [key, id] of [...chosen]) {
      const section = sections.find((found) => found.key === key);
      if (!section || !section.parts.some((part) => part.id === id)) chosen.delete(key);
    }
    for (const key of [...ticked]) if (!sections.some((section) => section.key === key)) ticked.delete(key);
    write();
    const times = {};
    for (const section of sections) times[section.label] = (times[section.label] || 0) + 1;
    target.replaceChildren(...(sections.length ? [toolbar()] : []),
                           ...sections.map((section) => row(section, times[section.label])));
    tools();
  }

  function clear(target) {
    chosen.clear();
    filled = "";
    ticked.clear();
    show(target, []);
  }

  return {show, clear, fill};
})();
