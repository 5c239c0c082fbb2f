// The takes of one request: each with its piano roll (the parts the drums listened to and the take's drums), play /
// stop of the song and the drums mixed or the drums alone (WAVs the studio renders on first play: until the sound
// starts, "preparing" is shown with how much is rendered, asked of the studio a few times a second), and its two
// downloads.
"use strict";

const Takes = (() => {
  let playing = null;  // {audio, button, preparing, take, view, roll} of the take playing or preparing to
  const WAITING = "preparing the audio: the studio renders it the first time (a few seconds) ...";
  const POLL_MS = 400;

  function stop() {
    if (!playing) return;
    const {audio, button, preparing, roll, view} = playing;
    playing = null;
    audio.pause();
    button.textContent = "▶ Play";
    preparing.hidden = true;
    roll.draw(view);
  }

  function follow() {
    if (!playing) return;
    playing.roll.draw({...playing.view, playhead: playing.audio.currentTime});
    requestAnimationFrame(follow);
  }

  // The first play of a take waits while the studio renders its WAV (seconds): until the sound starts, the button
  // says so and a sign beside it says what is happening; pressed again, it gives up.
  function play(entry, solo) {
    stop();
    const {audio, take, button, preparing} = entry;
    const source = take.files[solo ? "drums.wav" : "mix.wav"];
    if (!audio.src.endsWith(source)) audio.src = source;
    playing = entry;
    button.textContent = "… Preparing";
    preparing.hidden = false;
    showProgress(entry, {state: "not asked", done: 0});
    watchProgress(entry, `${source}/progress`);
    audio.play().then(() => {
      if (playing !== entry) return;
      button.textContent = "■ Stop";
      preparing.hidden = true;
      follow();
    }).catch(() => {});
  }

  // What the sign beside a preparing take says: how much of its WAV is rendered, or that it waits its turn.
  function showProgress(entry, answer) {
    const {preparing} = entry;
    const [words, bar] = preparing.children;
    if (answer.state === "rendering") {
      words.textContent = `preparing the audio: ${Math.floor(answer.done * 100)}% rendered`;
    } else if (answer.state === "waiting") {
      words.textContent = "preparing the audio: waiting for another take's audio to finish rendering ...";
    } else if (answer.state === "ready") {
      words.textContent = "preparing the audio: rendered, starting ...";
    } else {
      words.textContent = WAITING;
    }
    bar.hidden = answer.state !== "rendering" && answer.state !== "ready";
    bar.value = answer.done;
  }

  // Asks the studio how far the take's WAV is, until it plays, stops, or another take is played.
  function watchProgress(entry, url) {
    const still = () => playing === entry && !entry.preparing.hidden;
    const ask = () => {
      if (!still()) return;
      fetch(url).then((answer) => (answer.ok ? answer.json() : null)).then((answer) => {
        if (answer && still()) showProgress(entry, answer);
      }).catch(() => {}).finally(() => setTimeout(ask, POLL_MS));
    };
    setTimeout(ask, POLL_MS / 2);
  }

  // Which parts the drums listened to, as a roll's roles ({part index: role}), read from the result's listings
  // ("1 'Guitar' (...)" for the guitar, "bass: 2 'Bass' (...)" for the band), numbered as the song's parts are.
  function heard(result) {
    const roles = {};
    for (const line of result.guitar_parts) {
      const found = /^(\d+) '/.exec(line);
      if (found) roles[Number(found[1]) - 1] = "guitar";
    }
    for (const line of result.band_parts) {
      const found = /^(\w+): (\d+) '/.exec(line);
      if (found) roles[Number(found[2]) - 1] = found[1];
    }
    return roles;
  }

  function link(href, name, text) {
    const anchor = document.createElement("a");
    anchor.className = "button";
    anchor.href = href;
    anchor.download = name;
    anchor.textContent = text;
    return anchor;
  }

  // A card for one take; `song` is the song's view (null for drums from nothing).
  function card(take, song, result, audioNote, showError) {
    const article = document.createElement("article");
    article.className = "take";
    article.dataset.take = String(take.index);
    const title = document.createElement("h3");
    title.textContent = `Take ${take.index}`;
    const words = document.createElement("small");
    words.textContent = ` ${take.hits} drum hits`;
    title.append(words);
    // what the take plays, section by section: its plan (an arrangement, the musician's parts) and its parts as
    // played from the bar each starts (the command line's "its plan ...; as played (bar: part)")
    const said = document.createElement("p");
    said.className = "take-parts note";
    said.textContent = [take.plan ? `plan: ${take.plan}` : "",
                        take.parts.length ? `as played (bar: part): ${take.parts.join(" · ")}` : ""]
      .filter(Boolean).join(" — ");
    const roll = Roll.create();
    const view = {bars: take.bars, notes: song ? song.notes : [], roles: song ? heard(result) : {},
                  drums: take.drums, lanes: take.lanes, sections: result.sections};
    const audio = document.createElement("audio");
    audio.preload = "none";
    const button = document.createElement("button");
    button.className = "play";
    button.textContent = "▶ Play";
    const solo = document.createElement("input");
    solo.type = "checkbox";
    solo.className = "solo";
    const soloLabel = document.createElement("label");
    soloLabel.append(solo, " drums alone");
    const preparing = document.createElement("span");
    preparing.className = "preparing note";
    preparing.setAttribute("role", "status");
    const sign = document.createElement("span");
    sign.textContent = WAITING;
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = 0;
    bar.hidden = true;
    preparing.append(sign, " ", bar);
    preparing.hidden = true;
    const entry = {audio, button, preparing, take, view, roll};
    button.addEventListener("click", () => (playing === entry ? stop() : play(entry, solo.checked)));
    solo.addEventListener("change", () => { if (playing === entry) play(entry, solo.checked); });
    audio.addEventListener("ended", () => { if (playing === entry) stop(); });
    audio.addEventListener("error", () => {
      if (playing === entry) stop();
      fetch(audio.src).then((answer) => answer.json()).then((body) => showError(body.error)).catch(() => {});
    });
    if (audioNote) {
      button.disabled = true;
      button.title = audioNote;
    }
    const actions = document.createElement("div");
    actions.className = "take-actions";
    actions.append(button, preparing, soloLabel,
                   link(take.files["drums.mid"], take.names["drums.mid"], "Download the drums (.mid)"),
                   link(take.files["song.mid"], take.names["song.mid"], "Download the song with the drums (.mid)"));
    article.append(title, said, roll.element, actions, audio);
    return {article, draw: () => roll.draw(view)};
  }

  function show(holder, result, song, audioNote, showError) {
    stop();
    holder.replaceChildren();
    const cards = result.takes.map((take) => card(take, song, result, audioNote, showError));
    for (const {article} of cards) holder.append(article);
    for (const {draw} of cards) draw();
  }

  return {show, stop};
})();
