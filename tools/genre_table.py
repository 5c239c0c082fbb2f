"""Writes docs/data/genres.tsv, the genre of every song of ../shared/data (midi/ and jazz/), from the two
MANIFEST.tsv files: each song's collection (its source repository, and the site folder within it for the two that
gather several sites), its genre and how it was labelled (docs/data/genres.md says how sure each kind is).

    python -m tools.genre_table [--data ../shared/data] [--out docs/data/genres.tsv] [--check]

The labels, strongest first: `inspection` (a person read the song's tracks, tempo, meter and swing: INSPECTED, each
with what was read), `title` (the title names the genre, the artist or the tune: TITLES and TITLE_WORDS), `source`
(the collection's own genre: COLLECTIONS). Only the data's own fields are read (paths and MANIFEST columns), no notes
and no reader: the table is fixed before any reader of the band is fitted on it. --check writes nothing and fails
when the committed table differs from what the rules give.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

COLUMNS = ("path", "source_repo", "collection", "genre", "style", "labelled_by", "note")
GENRES = ("jazz", "blues", "rnb", "funk", "latin", "fusion", "rock/pop", "prog", "country", "folk", "gospel", "game",
          "arabic", "world")

# collection (the song's folder under its source) -> (genre, what the collection is); the first prefix that matches
COLLECTIONS = (
    ("jazz/GiadaSimionato", "jazz", "big band, swing and jazz standards with drums"),
    ("jazz/evancchow", "jazz", "an Oscar Peterson trio arrangement"),
    ("jazz/eights", "jazz", "deepjazz's Pat Metheny file"),
    ("midi/robertbogankang__midi_files/arabic", "arabic", "50 Arabic and Egypt MIDI"),
    ("midi/robertbogankang__midi_files/jazz", "jazz", "Disklavier World MIDI's #jazz folder"),
    ("midi/robertbogankang__midi_files/", "rock/pop", "Disklavier World MIDI's artist folders"),
    ("midi/openttd__openmsx", "game", "OpenMSX, a train game's music set (blues, boogie and light jazz among it)"),
    ("midi/freedoom__freedoom", "game", "Freedoom's music (rock and metal)"),
    ("midi/dtmrules__same-doom-different-hell-megawad", "game", "a Doom mod's music (Doom soundtrack, rock and metal)"),
    ("midi/natooz__miditok", "rock/pop", "a tokenizer's test files (pop and rock)"),
    ("midi/maxiiimus__maeve", "rock/pop", "ensemble arrangements of rock songs"),
    ("midi/reubenson__midi-archive/aol_israelmidi", "folk", "Israeli folk and pop"),
    ("midi/reubenson__midi-archive/christian", "gospel", "church and worship songs"),
    ("midi/reubenson__midi-archive/elephanttalk", "prog", "a King Crimson fan site"),
    ("midi/reubenson__midi-archive/irishmidifiles", "folk", "Irish folk songs"),
    ("midi/reubenson__midi-archive/laurasmidiheaven", "game", "video game music (Mega Man, Street Fighter, Final "
     "Fantasy, GoldenEye...; the MANIFEST's 'pop/oldies' is wrong)"),
    ("midi/reubenson__midi-archive/mahamidi", "fusion", "a Mahavishnu Orchestra fan site (jazz-rock fusion)"),
    ("midi/reubenson__midi-archive/prairiefrontier", "rock/pop", "pop hits and oldies"),
    ("midi/reubenson__midi-archive/vietvet", "rock/pop", "60s-70s rock and pop"),
    ("midi/reubenson__midi-archive/emusic", "rock/pop", "one mixed file"),
)

# file name (without folder) -> (genre, style, why): the title names the genre, the artist or the tune
TITLES = {
    "novel_dataset__Glenn___His_Orchestra_Miller_-_St_Louis_Blues.mid": ("blues", "big band", "St. Louis Blues"),
    "novel_dataset__Ray_Charles_-_What_d_I_Say.mid": ("rnb", "", "Ray Charles, R&B"),
    "novel_dataset__Ray_Charles_-_Unchain_My_Heart.mid": ("rnb", "", "Ray Charles, R&B"),
    "novel_dataset__Ray_Charles_-_Hit_the_Road_Jack.mid": ("rnb", "", "Ray Charles, R&B"),
    "novel_dataset__Ray_Charles_-_Georgia_On_My_Mind.mid": ("rnb", "ballad", "Ray Charles, a soul ballad"),
    "novel_dataset__Glenn___His_Orchestra_Miller_-_Moonlight_Serenade_1.mid": ("jazz", "ballad", "a big band ballad"),
    "novel_dataset__Jazz_Standardsdiversen_-_Misty_2.mid": ("jazz", "ballad", "Erroll Garner's ballad"),
    "novel_dataset__Nat_King_Cole_-_Smile.mid": ("jazz", "ballad", "Nat King Cole's ballad"),
    "midi__original_metheny.mid": ("fusion", "", "Pat Metheny Group, jazz fusion"),
    "Beginnings__Chicago__Bob_Mace.mid": ("rock/pop", "", "Chicago, a rock band with horns"),
    "Sushi__Oscar_Peterson_.mid": ("jazz", "bebop", "Oscar Peterson"),
    "Good_Bait.mid": ("jazz", "bebop", "Tadd Dameron's bebop tune"),
    "Shiny_Stockings.mid": ("jazz", "big band", "Frank Foster, for Count Basie"),
    "boogi_marabi_redfarn.mid": ("blues", "boogie", "boogie in the title"),
    "Very_Early.mid": ("jazz", "waltz", "Bill Evans's tune"),
    "Human_Nature__Miles_Davis_.mid": ("fusion", "ballad", "Miles Davis's pop-jazz cover"),
    "spain.mid": ("latin", "", "Chick Corea's Spain, latin jazz"),
    "Cepa_Andaluza-Paco.mid": ("world", "flamenco", "Paco de Lucia, flamenco"),
    "IWISH.MID": ("funk", "", "Stevie Wonder's I Wish"),
    "open_country_joy.mid": ("fusion", "", "Mahavishnu Orchestra's Open Country Joy (the MANIFEST says country)"),
    "sentimentaljour_oldy.mid": ("jazz", "swing", "Sentimental Journey, a big band swing song"),
    "moonchild-bossanova.mid": ("latin", "bossa", "bossa nova in the title"),
    "tequilas.mid": ("latin", "", "Tequila, latin rock"),
    "evilways.mid": ("latin", "", "Santana's Evil Ways, latin rock"),
    "formyladymblues.mid": ("blues", "", "blues in the title"),
    "good-heartedwoman.mid": ("country", "", "Waylon Jennings"),
    "duelinbanjo.mid": ("country", "bluegrass", "Dueling Banjos"),
    "countryr.mid": ("country", "", "Country Roads"),
    "unchaind.mid": ("rock/pop", "ballad", "Unchained Melody"),
}
TITLE_WORDS = (  # words in a file name that name the genre
    (re.compile(r"cntry|country", re.I), "country", ""),
    (re.compile(r"blues", re.I), "blues", ""),
    (re.compile(r"boogi", re.I), "blues", "boogie"),
    (re.compile(r"bossa", re.I), "latin", "bossa"),
)

# file name -> (genre, style, what was read): OpenMSX's songs, read one by one (tracks, tempo, meter, swing)
INSPECTED = {
    "be_sharp_bw_redfarn.mid": ("blues", "boogie", "honky-tonk pianos and a bass, 109 BPM, straight, 12-bar changes"),
    "mosey_along_redfarn.mid": ("blues", "", "honky-tonk pianos and jazz guitar, swung, 12-bar choruses"),
    "no_work_song_redfarn.mid": ("blues", "", "keys and bass, 12-bar blues changes in 87% of bars"),
    "the_hobo_redfarn.mid": ("blues", "ragtime", "honky-tonk pianos, guitar and double bass, 6/4, sevenths"),
    "keep_on_rolling.mid": ("fusion", "", "trumpet, saxes, trombone, distortion guitar, pad; straight, sevenths"),
    "chuggachugga.mid": ("game", "", "guitars and synth bass, 180 BPM, straight"),
    "flying_scotsman.mid": ("game", "", "distortion guitar, synth bass, 200 BPM"),
    "mighty_giant_run.mid": ("game", "", "synth leads and bass, 160 BPM, triads"),
    "modern_motion.mid": ("game", "", "synth brass, orchestra hits, organ, 120 BPM"),
    "relax_song.mid": ("game", "", "organ, harp, pads, 120 BPM"),
    "run_for_your_life.mid": ("game", "", "guitars and bass, 170 BPM, straight"),
    "ultimate_run.mid": ("game", "", "synth lead, guitar and bass, 150 BPM"),
}


def collection_of(path: str) -> str:
    """The song's collection: jazz/'s source folder, or midi/'s source folder and, for the two sources that gather
    several sites or folders, the folder that holds it ('midi/reubenson__midi-archive/irishmidifiles')."""
    top, source = path.split("/")[:2]
    if top == "jazz":
        return f"jazz/{source.split('__')[0]}"
    return f"midi/{source}"


def site_of(row: dict[str, str]) -> str:
    """The site folder of a song of a source that gathers several (from its MANIFEST source_path)."""
    source_path = row["source_path"]
    if row["source_repo"].lower().startswith("reubenson"):
        return source_path.split("/")[2]  # src/assets/<site>/midi/<file>
    if row["source_repo"].lower().startswith("robertbogankang"):
        return "arabic" if "Arabic" in source_path else ("jazz" if "#jazz" in source_path else "artists")
    return ""


def label(row: dict[str, str], top: str) -> dict[str, str]:
    """One song's row of the table."""
    path = f"{top}/{row['path'].removeprefix('midi/')}" if top == "jazz" else row["path"]
    name = path.rsplit("/", 1)[1]
    collection = collection_of(path)
    site = site_of(row)
    if site:
        collection = f"{collection}/{site}"
    key = collection if site != "artists" else collection.rsplit("/", 1)[0] + "/"
    genre, why = next((g, w) for prefix, g, w in COLLECTIONS if key.startswith(prefix))
    style, by = "", "source"
    if name in INSPECTED:
        genre, style, why = INSPECTED[name]
        by = "inspection"
    elif name in TITLES:
        genre, style, why = TITLES[name]
        by = "title"
    else:
        for pattern, word_genre, word_style in TITLE_WORDS:
            if pattern.search(name):
                genre, style, why, by = word_genre, word_style, f"'{pattern.pattern}' in the title", "title"
                break
    assert genre in GENRES, genre
    return {"path": path, "source_repo": row["source_repo"], "collection": collection, "genre": genre,
            "style": style, "labelled_by": by, "note": why}


def table(data: Path) -> list[dict[str, str]]:
    """Every song's row, midi/ then jazz/, in MANIFEST order."""
    rows = []
    for top, manifest in (("midi", data / "MANIFEST.tsv"), ("jazz", data / "jazz" / "MANIFEST.tsv")):
        with manifest.open(encoding="utf-8") as handle:
            rows += [label(row, top) for row in csv.DictReader(handle, delimiter="\t")]
    return rows


def as_text(rows: list[dict[str, str]]) -> str:
    lines = ["\t".join(COLUMNS)] + ["\t".join(row[c] for c in COLUMNS) for row in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("docs/data/genres.tsv"))
    parser.add_argument("--check", action="store_true", help="compare with the committed table, write nothing")
    args = parser.parse_args(argv)
    text = as_text(table(args.data))
    if args.check:
        same = args.out.read_text(encoding="utf-8") == text
        print("the table is what the rules give" if same else f"{args.out} differs from what the rules give")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    rows = text.splitlines()[1:]
    print(f"wrote {args.out}: {len(rows)} songs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
