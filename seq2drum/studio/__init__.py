"""The studio: a page in the browser where a musician drops a song, hears the takes and keeps the one they like
(`seq2drum-studio`, from a checkout `python -m seq2drum.studio`). app.py holds the routes, backends.py where the drums
are made (the server's worker pool and limits, or running servers), limits.py the limits and the words of errors,
store.py the files, songs.py what the page is shown, form.py the options table as a form, static/ the page."""
