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
      words.textContent = "preparing the audio: waiting its turn: the studio is rendering other audio first ...";
    } else if (answer.state === "ready") {
      words.textContent = "preparing the audio: rendered, starting ...";
    } else {
      words.textContent = WAITING;
    }
    bar.hidden = answer.state !== "rendering" && answer.state !== "ready";
    bar.value = answer.done;
  }

  // Asks the studio how far the take's WAV is, until it plays, stops, or another take or file is played. One watch
  // per play: the questions of an earlier play of the take (the mix, before "drums alone" was ticked, or a play
  // given up and pressed again) kept going beside the new one's, so the sign showed the other file's share in turn
  // with this one's, and the share of the file no longer played once that stopped moving.
  function watchProgress(entry, url) {
    const watch = entry.watch = {};
    const still = () => playing === entry && entry.watch === watch && !entry.preparing.hidden;
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

  // What the take plays, under its section letters: each section (result.sections, "A@1") with the part in force
  // at its first bar and any change within it, from the take's parts as played ("BAR: PART" where they change,
  // the command line's "as played (bar: part)"; "bar by bar" where no phrase of the plan is). Empty for a take that
  // plays no plan (its plan says why).
  function sectionParts(take, sections) {
    const holder = document.createElement("div");
    holder.className = "take-sections";
    const changes = take.parts.map((line) => {
      const found = /^(\d+): (.*)$/.exec(line);
      return found ? {bar: Number(found[1]), name: found[2]} : null;
    }).filter(Boolean);
    if (!changes.length) return holder;
    const starts = sections.map((entry) => {
      const [letter, bar] = entry.split("@");
      return {letter, bar: Number(bar)};
    });
    if (!starts.length || starts[0].bar > changes[0].bar) starts.unshift({letter: "", bar: changes[0].bar});
    starts.forEach(({letter, bar}, index) => {
      const end = index + 1 < starts.length ? starts[index + 1].bar : Infinity;
      const before = changes.filter((change) => change.bar <= bar);
      const within = changes.filter((change) => change.bar > bar && change.bar < end);
      const cell = document.createElement("div");
      cell.className = "take-section";
      cell.dataset.letter = letter;
      cell.dataset.bar = String(bar);
      const name = document.createElement("strong");
      name.textContent = letter || "intro";
      const where = document.createElement("small");
      where.textContent = `bar ${bar}`;
      cell.append(name, where);
      const played = [...(before.length ? [before[before.length - 1]] : []), ...within];
      played.forEach((change, number) => {
        const part = document.createElement("span");
        part.className = "take-part";
        part.textContent = number || !before.length ? `${change.name} (from bar ${change.bar})` : change.name;
        cell.append(part);
      });
      if (!played.length) {  // before the plan's first phrase: no part planned there
        const part = document.createElement("span");
        part.className = "take-part";
        part.textContent = "bar by bar";
        cell.append(part);
      }
      holder.append(cell);
    });
    return holder;
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
    const said = document.createElement("p");
    said.className = "take-plan note";
    said.textContent = take.plan ? `its plan: ${take.plan}` : "";
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
    article.append(title, said, sectionParts(take, result.sections), roll.element, actions, audio);
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
