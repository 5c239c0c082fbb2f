// The studio page: a session with the studio for as long as the page is open (closed with a beacon as it goes),
// the song dropped or chosen and its parts, the form, and the takes. Every request goes to the studio's own address.
"use strict";

const state = {config: null, session: null, song: null, songRoll: null, stylesAsked: 0, arrangementsAsked: 0,
               rearrangeTimer: null};
const $ = (id) => document.getElementById(id);

class StudioError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const answer = await fetch(path, options);
  if (answer.status === 204) return {};
  let body = null;
  try {
    body = await answer.json();
  } catch (problem) {
    body = {error: `the studio answered ${answer.status} ${answer.statusText}`};
  }
  if (!answer.ok) throw new StudioError(body.error || `the studio answered ${answer.status}`, answer.status);
  return body;
}

function showError(message) {
  const line = $("error");
  line.hidden = !message;
  line.textContent = message ? `error: ${message}` : "";
}

function status(text) {
  $("status").textContent = text;
}

async function openSession() {
  state.session = (await api("/api/sessions", {method: "POST"})).session;
}

// A request of this page's session; a session that ended (410) is opened again for the next request.
async function sessionApi(path, options) {
  try {
    return await api(`/api/sessions/${state.session}${path}`, options);
  } catch (problem) {
    if (problem.status === 410) await openSession();
    throw problem;
  }
}

// The song card: an uploaded song (its parts, its guitar, its roll), or drums from nothing (no song), or nothing.
function showSong(song) {
  state.song = song;
  $("song").hidden = false;
  $("song-name").textContent = song.label;
  $("parts").hidden = false;
  const rows = $("parts").tBodies[0];
  rows.replaceChildren();
  for (const part of song.parts) {
    const row = rows.insertRow();
    row.insertCell().textContent = String(part.number);
    row.insertCell().textContent = part.name;
    row.insertCell().textContent = part.role;
    row.insertCell().textContent = String(part.notes);
    const cell = row.insertCell();
    if (part.role !== "drums") {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = part.guitar;
      box.dataset.number = String(part.number);
      box.title = "take this part as the guitar (sets --track)";
      box.addEventListener("change", chooseGuitar);
      cell.append(box);
    }
  }
  const guitar = song.parts.filter((part) => part.guitar).map((part) => `${part.number} '${part.name}'`);
  $("guitar-words").textContent = guitar.length ? `Taken as the guitar: ${guitar.join(", ")}. ${song.notice}`
    : `No part is taken as the guitar: ${song.guitar_problem}`;
  Form.set("track", "");
  const roles = {};
  song.parts.forEach((part, index) => {
    if (part.role !== "drums") roles[index] = part.guitar ? "guitar" : part.role;
  });
  $("song-roll").hidden = false;
  state.songRoll.draw({bars: song.bars, notes: song.notes, roles, drums: song.drums, lanes: song.lanes,
                       sections: []});
  $("generate").disabled = false;
  listStyles(song.meters[0] || "4/4", `the meter of ${song.label}`);
}

// The style list for a meter: the song's when a song comes, drums from nothing's while its meter is typed; the last
// asked for wins. A meter that is no meter leaves the list as it was (Make drums says what is wrong with it).
async function listStyles(meter, why) {
  const asked = ++state.stylesAsked;
  try {
    const answer = await api(`/api/styles?meter=${encodeURIComponent(meter)}`);
    if (asked === state.stylesAsked) Form.setStyles(answer, why);
  } catch (problem) {
    if (problem.status !== 422 && problem.status !== 400) showError(problem.message);
  }
}

function watchMeter() {
  const box = $("opt-meter");
  if (!box) return;
  let timer = null;
  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => listStyles(box.value, "the meter asked for drums from nothing"), 300);
  });
}

// No song any more (a file that could not be read, or drums from nothing): its card, its takes and "Make drums for
// the song" go, and the card says why in `words`.
function clearSong(title, words) {
  Takes.stop();
  state.song = null;
  $("file").value = "";
  $("generate").disabled = true;
  $("song").hidden = false;
  $("song-name").textContent = title;
  $("parts").hidden = true;
  $("guitar-words").textContent = words;
  $("song-roll").hidden = true;
  $("arrangement-section").hidden = true;
  Arrangement.clear($("arrangement"));
  $("takes-section").hidden = true;
  $("takes").replaceChildren();
  $("notices").replaceChildren();
}

function chooseGuitar() {
  const chosen = [...document.querySelectorAll("#parts input:checked")].map((box) => box.dataset.number);
  Form.set("track", chosen.join(","));
  rearrange();
}

// What the drums hear changed (the guitar ticked, the guitar alone, the song's own drums): the sections and their
// parts are read again, a moment after the last change.
function rearrange() {
  clearTimeout(state.rearrangeTimer);
  if (state.song) state.rearrangeTimer = setTimeout(() => loadArrangement(state.song, true), 300);
}

async function upload(file) {
  if (!file) return;
  showError("");
  status(`reading ${file.name} ...`);
  try {
    const song = await sessionApi(`/songs?name=${encodeURIComponent(file.name)}`, {
      method: "POST", body: file, headers: {"content-type": "application/octet-stream"}});
    showSong(song);
    status("");
    await loadArrangement(song);
  } catch (problem) {
    status("");
    const why = problem.status === 413 || problem.status === 422 ? "could not be read as a song"
      : "did not reach the studio";
    clearSong(`${file.name}: not read`, `${file.name} ${why} (the error below says why), so there is no song here `
      + "now: the song before it and its takes are cleared. Drop a MIDI file (.mid) to make drums for it.");
    showError(problem.message);
  }
}

// The song's sections and the parts each can play (the studio's /arrange): a part chosen goes in the form's parts.
// `again`: the same song read again, its choices kept where they still fit.
async function loadArrangement(song, again = false) {
  if (!again) Arrangement.clear($("arrangement"));
  $("arrangement-section").hidden = false;
  $("arrangement-words").textContent = "reading the song's sections ...";
  const options = Form.values(true);
  delete options.parts;  // the sections' parts are listed whatever was chosen
  const asked = ++state.arrangementsAsked;
  try {
    const answer = await sessionApi("/arrange", {method: "POST", headers: {"content-type": "application/json"},
                                                 body: JSON.stringify({song: song.song, options})});
    if (asked !== state.arrangementsAsked || state.song !== song) return;
    Arrangement.show($("arrangement"), answer.sections, answer.drummer);
    $("arrangement-words").textContent = answer.sections.length
      ? "Each section's likeliest parts, best first: choose one where you know what the drummer plays (again to "
        + "leave it to the model); sections left alone are planned as the band asks."
      : "The song has no sections to arrange: the model plans it.";
  } catch (problem) {
    if (asked !== state.arrangementsAsked || state.song !== song) return;
    Arrangement.show($("arrangement"), []);
    $("arrangement-words").textContent = `No arrangement to choose from: ${problem.message}`;
  }
}

async function generate(fromNothing) {
  showError("");
  const song = fromNothing ? null : state.song;
  const request = {song: song ? song.song : null, options: Form.values(!fromNothing)};
  status(fromNothing ? "making drums from nothing ..." : `making drums for ${song.label} ...`);
  for (const button of [$("generate"), $("generate-nothing")]) button.disabled = true;
  try {
    const result = await sessionApi("/takes", {method: "POST", body: JSON.stringify(request),
                                               headers: {"content-type": "application/json"}});
    if (fromNothing) {
      clearSong("Drums from nothing", `${result.bars} bars of drums made without a song. Drop a MIDI file (.mid) `
        + "to make drums for a song instead.");
    }
    showTakes(result, song);
    status("");
  } catch (problem) {
    status("");
    showError(problem.message);
  } finally {
    $("generate").disabled = !state.song;
    $("generate-nothing").disabled = false;
  }
}

// What the drums heard, by the song's part names ("the guitar: Rhythm guitar; bass: Bass"), read from the result's
// listings ("1 'Guitar' (channel 1, program 30, ...)", "bass: 2 'Bass' (...)"), numbered as the song's parts are.
function heardWords(result, song) {
  const byRole = {};
  const add = (role, number) => {
    const part = song.parts.find((found) => found.number === number);
    (byRole[role] = byRole[role] || []).push(part ? part.name : `part ${number}`);
  };
  for (const line of result.guitar_parts) {
    const found = /^(\d+) '/.exec(line);
    if (found) add("the guitar", Number(found[1]));
  }
  for (const line of result.band_parts) {
    const found = /^(\w+): (\d+) '/.exec(line);
    if (found) add(found[1], Number(found[2]));
  }
  const roles = Object.entries(byRole).map(([role, names]) => `${role}: `
    + (names.length > 3 ? `${names.length} parts` : names.join(", ")));
  return roles.length ? `the drums heard ${roles.join("; ")}` : "";
}

function showTakes(result, song) {
  $("takes-section").hidden = false;
  const words = [`${result.takes.length} take${result.takes.length > 1 ? "s" : ""} of ${result.bars} bars`,
                 `seed ${result.seed}`];
  const drawn = result.takes.some((take) => take.parts.length);  // each take says its sections and their parts
  if (result.sections.length && !drawn) {
    const starts = result.sections.map((entry) => entry.split("@"));
    words.push("sections " + starts.map(([letter, bar], index) => `${letter} (${index ? "" : "bar "}${bar})`)
      .join(" "));
  }
  if (song) words.push(heardWords(result, song));
  if (result.heard) words.push(result.heard);  // "heard: jazz, swung, 12-bar blues"
  $("result-words").textContent = words.filter(Boolean).join(" · ") + (song ? ` (${song.label})` : " (from nothing)");
  $("notices").replaceChildren(...result.notices.map((notice) => {
    const line = document.createElement("p");
    line.className = "notice";
    line.setAttribute("role", "status");
    line.textContent = notice;
    return line;
  }));
  const audio = state.config.audio;
  const note = audio.available ? "" : `To hear the takes here, install the audio extra and start the studio again: `
    + `${audio.install} (${audio.problem})`;
  $("audio-note").hidden = !note;
  $("audio-note").textContent = note;
  Takes.show($("takes"), result, song, note, showError);
  $("takes-section").scrollIntoView({block: "start"});
}

function watchDrops() {
  const zone = $("drop");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    upload(event.dataTransfer.files[0]);
  });
  $("file").addEventListener("change", () => upload($("file").files[0]));
}

async function start() {
  let maps = null;
  try {
    state.config = await api("/api/config");
    maps = (await api("/api/kit-maps")).kit_maps;
    await openSession();
  } catch (problem) {
    showError(problem.message);
    return;
  }
  $("backend").textContent = `Drums by ${state.config.backend}.`;
  Form.build(state.config.options, maps);
  listStyles("4/4", "the meter of drums from nothing until a song comes");
  watchMeter();
  for (const name of ["track", "guitar_only", "keep_drums"]) {
    const box = $(`opt-${name}`);
    if (box) box.addEventListener("change", rearrange);
  }
  document.addEventListener("form-file", (event) => { if (event.detail === "parts_from") rearrange(); });
  state.songRoll = Roll.create();
  $("song-roll").append(state.songRoll.element);
  watchDrops();
  $("generate").addEventListener("click", () => generate(false));
  $("generate-nothing").addEventListener("click", () => generate(true));
  const every = Math.max(10, state.config.ttl_s / 3) * 1000;
  setInterval(() => sessionApi("/touch", {method: "POST"}).catch(() => {}), every);
  window.addEventListener("pagehide", () => navigator.sendBeacon(`/api/sessions/${state.session}/close`));
  document.body.dataset.ready = "true";
}

start();
