// The takes of one request: each with its piano roll (the song and the take's drums), play / stop of the song and
// the drums mixed or the drums alone (WAVs the studio renders on first play), and its two downloads.
"use strict";

const Takes = (() => {
  let playing = null;  // {audio, button, take, view, canvas} of the take playing

  function stop() {
    if (!playing) return;
    const {audio, button, canvas, view} = playing;
    playing = null;
    audio.pause();
    button.textContent = "▶ Play";
    Roll.draw(canvas, view);
  }

  function follow() {
    if (!playing) return;
    Roll.draw(playing.canvas, {...playing.view, playhead: playing.audio.currentTime});
    requestAnimationFrame(follow);
  }

  function play(entry, solo) {
    stop();
    const {audio, take} = entry;
    const source = take.files[solo ? "drums.wav" : "mix.wav"];
    if (!audio.src.endsWith(source)) audio.src = source;
    playing = entry;
    entry.button.textContent = "■ Stop";
    audio.play().then(follow).catch(() => {});
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
    const canvas = document.createElement("canvas");
    canvas.className = "roll";
    const view = {bars: take.bars, notes: song ? song.notes : [], parts: song ? song.parts : [],
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
    const entry = {audio, button, take, view, canvas};
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
    actions.append(button, soloLabel,
                   link(take.files["drums.mid"], take.names["drums.mid"], "Download the drums (.mid)"),
                   link(take.files["song.mid"], take.names["song.mid"], "Download the song with the drums (.mid)"));
    article.append(title, canvas, actions, audio);
    return {article, draw: () => Roll.draw(canvas, view)};
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
