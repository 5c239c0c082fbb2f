// The form, made from the options table the studio sends (/api/config): one field per option, labelled in words (its
// flag in the label's tooltip), with its help in full and its default in words in the box (under the box where it
// does not fit there; a switch or a list shows its own). An empty field means the default, as a flag left out does.
// Options of the live drummer alone (group "live") are not drawn: the studio makes takes offline.
// Two are lists, not boxes: the style (only the styles that play in the song's meter, from /api/styles) and the kit
// map (the maps that ship with seq2drum, from /api/kit-maps, or a JSON file of your own).
"use strict";

const Form = (() => {
  let fields = [];
  let kitMaps = [];  // the shipped maps: {key, name, source, notes, plays}
  const files = {};  // option name -> base64 of the chosen file (a kit map: its text)
  const OWN_FILE = "a file";  // the kit map list's last entry

  function styleInput(id) {
    const select = document.createElement("select");
    select.id = id;
    select.append(new Option("any groove (the model's choice)", ""));
    select.addEventListener("change", describeStyle);
    return select;
  }

  function kitInput(id, field) {
    const holder = document.createElement("div");
    holder.className = "kit-choice";
    const select = document.createElement("select");
    select.id = id;
    for (const map of kitMaps) select.append(new Option(map.key === "gm" ? `${map.name} (gm)` : map.name, map.key));
    select.append(new Option("a file of your own (.json) ...", OWN_FILE));
    const file = document.createElement("input");
    file.type = "file";
    file.id = id + "-file";
    file.accept = ".json,application/json";
    file.hidden = true;
    file.addEventListener("change", () => readText(field.name, file.files[0]));
    select.addEventListener("change", () => {
      file.hidden = select.value !== OWN_FILE;
      describeKit();
    });
    const notes = document.createElement("small");
    notes.className = "kit-notes";
    notes.id = id + "-notes";
    const source = document.createElement("details");
    source.className = "kit-source";
    const summary = document.createElement("summary");
    summary.textContent = "where these notes come from";
    const words = document.createElement("small");
    words.id = id + "-source";
    source.append(summary, words);
    holder.append(select, file, notes, source);
    return holder;
  }

  function input(field) {
    const id = "opt-" + field.name;
    if (field.name === "style") return styleInput(id);
    if (field.name === "kit_map") return kitInput(id, field);
    if (field.kind === "bool") {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = id;
      box.checked = Boolean(field.default);
      return box;
    }
    if (field.choices) {
      const select = document.createElement("select");
      select.id = id;
      for (const choice of field.choices) {
        const option = new Option(choice, choice, choice === field.default, choice === field.default);
        select.append(option);
      }
      return select;
    }
    const box = document.createElement("input");
    box.id = id;
    if (field.kind === "file") {
      box.type = "file";
      box.accept = ".mid,.midi,audio/midi";
      box.addEventListener("change", () => readFile(field.name, box.files[0]));
      return box;
    }
    box.type = field.kind === "int" || field.kind === "float" ? "number" : "text";
    if (box.type === "number") box.step = field.kind === "int" ? "1" : "any";
    box.placeholder = field.default_words;
    return box;
  }

  // A placeholder too long for its box says "default" alone, and the default in full is written under the box. The
  // boxes are measured once drawn: the controls sit in a fold, measured when it first opens.
  function fitPlaceholders() {
    const measure = document.createElement("canvas").getContext("2d");
    for (const box of document.querySelectorAll(".field input[placeholder]")) {
      if (!box.clientWidth || box.dataset.fitted) continue;
      box.dataset.fitted = "true";
      const style = getComputedStyle(box);
      measure.font = `${style.fontSize} ${style.fontFamily}`;
      const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
        - (box.type === "number" ? 18 : 0);  // a number box's spin buttons
      if (measure.measureText(box.placeholder).width <= room) continue;
      box.closest(".field").querySelector(".default").hidden = false;
      box.placeholder = "default";
    }
  }

  // A file chosen (or taken away) is said once read: the arrangement reads the "parts from" song's (arrange.js).
  function readFile(name, file) {
    delete files[name];
    const said = () => document.dispatchEvent(new CustomEvent("form-file", {detail: name}));
    if (!file) return said();
    const reader = new FileReader();
    reader.onload = () => {
      files[name] = String(reader.result).split(",", 2)[1] || "";
      said();
    };
    reader.readAsDataURL(file);
  }

  function readText(name, file) {
    delete files[name];
    describeKit();
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => {
      files[name] = String(reader.result);
      describeKit();
    };
    reader.readAsText(file);
  }

  // Under the kit map list: each drum's note in the chosen map and what it plays there, and where the notes come from.
  function describeKit() {
    const select = document.getElementById("opt-kit_map");
    const words = document.getElementById("opt-kit_map-notes");
    if (!select || !words) return;
    document.getElementById("opt-kit_map-source").textContent = "";
    let map = kitMaps.find((found) => found.key === select.value);
    if (select.value === OWN_FILE) {
      const text = files.kit_map;
      if (text === undefined) {
        words.textContent = "choose the file: a JSON object from drum to note, like {\"kick\": 36, \"snare\": 40}";
        return;
      }
      let notes = null;
      try {
        notes = JSON.parse(text);
      } catch (problem) {
        notes = null;
      }
      if (!notes || typeof notes !== "object" || Array.isArray(notes)) {
        words.textContent = "this file is not a JSON object from drum to note: Make drums says what is wrong with it";
        return;
      }
      map = {notes, plays: {}, source: "your file; drums it leaves out keep their General MIDI note"};
    }
    if (!map) return;
    const notes = Object.entries(map.notes).filter(([drum, note]) => typeof note === "number")
      .map(([drum, note]) => `${drum.replace(/_/g, " ")} ${note}${map.plays[drum] ? ` (${map.plays[drum]})` : ""}`);
    words.textContent = notes.join(" · ");
    document.getElementById("opt-kit_map-source").textContent = map.source;
  }

  function describeStyle() {
    const select = document.getElementById("opt-style");
    const words = document.getElementById("style-words");
    if (!select || !words) return;
    const chosen = select.selectedOptions[0];
    words.textContent = (words.dataset.list || "") + (select.value ? `. ${select.value}: ${chosen.title}` : "");
  }

  // The style list: the styles that play in `meter` (from /api/styles), `why` saying whose meter it is. A style
  // chosen before stays chosen when it plays in the new meter too.
  function setStyles(answer, why) {
    const select = document.getElementById("opt-style");
    if (!select) return;
    const before = select.value;
    select.replaceChildren(new Option("any groove (the model's choice)", ""));
    for (const style of answer.styles) {
      const option = new Option(style.name, style.name);
      option.title = style.description;
      select.append(option);
    }
    select.value = answer.styles.some((style) => style.name === before) ? before : "";
    const words = document.getElementById("style-words");
    words.dataset.list = answer.problem
      ? `no styles listed: ${answer.problem}; the model chooses the grooves`
      : answer.styles.length
        ? `${answer.styles.length} of the model's ${answer.all} styles play in ${answer.meter}, ${why}`
        : `none of the model's styles plays in ${answer.meter}, ${why}: the model chooses the grooves`;
    select.dataset.meter = answer.meter;
    describeStyle();
  }

  function build(options, maps) {
    fields = options;
    kitMaps = maps;
    for (const field of fields) {
      if (field.group === "live") continue;
      // a group the page has no place for goes with the song's: an option added to the table is never left off the page
      const holder = document.getElementById(field.group + "-fields") || document.getElementById("song-fields");
      if (!holder) continue;
      const row = document.createElement("div");
      row.className = "field";
      row.dataset.name = field.name;
      const name = document.createElement("label");
      name.htmlFor = "opt-" + field.name;
      name.textContent = field.label;
      name.title = `on the command line: ${field.flag}`;
      const hint = document.createElement("small");
      hint.className = "hint";
      hint.textContent = field.help;
      const shown = document.createElement("small");
      shown.className = "default";
      shown.textContent = "left empty: " + field.default_words;
      shown.hidden = true;  // the box says it (fitPlaceholders), or the switch or the list shows it
      row.append(name, input(field), hint, shown);
      if (field.name === "style") {
        const words = document.createElement("small");
        words.className = "style-words";
        words.id = "style-words";
        row.insertBefore(words, hint);
      }
      holder.append(row);
    }
    const fold = document.getElementById("more-controls");
    if (fold) fold.addEventListener("toggle", fitPlaceholders);
    const finder = document.getElementById("find-control");
    if (finder) finder.addEventListener("input", () => find(finder.value));
    fitPlaceholders();
    describeKit();
  }

  // The controls whose label, hint or flag hold the words typed ("ride", "count-in", "--swing"), the others and the
  // groups left empty hidden; nothing typed: every control.
  function find(text) {
    const words = text.trim().toLowerCase();
    let found = 0;
    for (const row of document.querySelectorAll("#more-controls .field")) {
      const label = row.querySelector("label");
      const said = `${row.textContent} ${label ? label.title : ""}`.toLowerCase();
      row.hidden = Boolean(words) && !said.includes(words);
      if (!row.hidden) found++;
    }
    for (const group of document.querySelectorAll("#more-controls .control-group")) {
      group.hidden = Boolean(words) && !group.querySelector(".field:not([hidden])");
    }
    const line = document.getElementById("find-words");
    if (line) line.textContent = words ? `${found} control${found === 1 ? "" : "s"} match "${text.trim()}"` : "";
    fitPlaceholders();
  }

  function value(field) {
    const box = document.getElementById("opt-" + field.name);
    if (field.kind === "bool") return box.checked;
    if (field.kind === "file") return files[field.name] || null;
    if (field.name === "kit_map" && box.value === OWN_FILE) return files.kit_map || null;
    return box.value.trim() === "" ? null : box.value.trim();
  }

  // The options for a song (song = true) or for drums from nothing, empty ones left out.
  function values(song) {
    const chosen = {};
    for (const field of fields) {
      if ((song && field.nothing_only) || (!song && field.song_only) || field.group === "live") continue;
      const answer = value(field);
      if (answer !== null && !(field.kind === "bool" && answer === Boolean(field.default))) chosen[field.name] = answer;
    }
    return chosen;
  }

  function set(name, text) {
    const box = document.getElementById("opt-" + name);
    if (box) box.value = text;
  }

  return {build, values, set, setStyles};
})();
