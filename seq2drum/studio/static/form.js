// The form, made from the options table the studio sends (/api/config): one field per option, with its flag, its
// help in full and its default in words (in the box too, where it fits). An empty field means the default, as a flag
// left out does. Options of the live drummer alone (group "live") are not drawn: the studio makes takes offline.
"use strict";

const Form = (() => {
  let fields = [];
  const files = {};  // option name -> base64 of the chosen file

  function label(field) {
    return field.flag.replace(/^--/, "").replace(/-/g, " ");
  }

  function input(field) {
    const id = "opt-" + field.name;
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

  // A placeholder too long for its box says "default" alone: the default in full is written under the box.
  function fitPlaceholders() {
    const measure = document.createElement("canvas").getContext("2d");
    for (const box of document.querySelectorAll(".field input[placeholder]")) {
      const style = getComputedStyle(box);
      measure.font = `${style.fontSize} ${style.fontFamily}`;
      const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
        - (box.type === "number" ? 18 : 0);  // a number box's spin buttons
      if (measure.measureText(box.placeholder).width > room) box.placeholder = "default";
    }
  }

  function readFile(name, file) {
    delete files[name];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => { files[name] = String(reader.result).split(",", 2)[1] || ""; };
    reader.readAsDataURL(file);
  }

  function build(options) {
    fields = options;
    for (const field of fields) {
      const holder = document.getElementById(field.group + "-fields");
      if (!holder) continue;
      const row = document.createElement("div");
      row.className = "field";
      row.dataset.name = field.name;
      const name = document.createElement("label");
      name.htmlFor = "opt-" + field.name;
      name.textContent = label(field) + " ";
      const flag = document.createElement("code");
      flag.textContent = field.flag;
      name.append(flag);
      const hint = document.createElement("small");
      hint.className = "hint";
      hint.textContent = field.help;
      const shown = document.createElement("small");
      shown.className = "default";
      shown.textContent = "default: " + field.default_words;
      row.append(name, input(field), hint, shown);
      holder.append(row);
    }
    fitPlaceholders();
  }

  function value(field) {
    const box = document.getElementById("opt-" + field.name);
    if (field.kind === "bool") return box.checked;
    if (field.kind === "file") return files[field.name] || null;
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

  return {build, values, set};
})();
