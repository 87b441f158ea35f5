/// Help and version text.
public enum Usage {
    public static let version = "0.1.0"
    public static let line = "USAGE: imgur-archive [<options>] [<id-or-url> ...] | user <name> | verify [<id> ...] | html"

    public static let help = """
        OVERVIEW: Archive Imgur albums, images and accounts into portable folders: every media file,
        in order, with its descriptions and metadata, plus one catalog of everything archived
        (scraping_logs.json). Runs in a storage directory, from a shell or from cron.

        \(line)

        COMMANDS:
          [<id-or-url> ...]       Archive albums and images: ids or Imgur URLs (imgur.com/a/ID,
                                  /a/title-ID, /gallery/ID, /t/TAG/ID, imgur.com/ID,
                                  i.imgur.com/ID.jpg, imgur.com/user/NAME). Without any, every
                                  entry of links.txt in the storage directory is archived.
          user <name>             Archive every album and gallery submission of an account. A
                                  rerun stops at the first page where everything is archived.
          verify [<id> ...]       Check the archive offline: every file against its SHA-256,
                                  every document, files that belong to nothing. Exit 0 only when
                                  everything is intact.
          html                    Write index.html and one page per album, to read the archive in
                                  a browser without Imgur (nothing is loaded from the network).

        OPTIONS:
          -C, --dir <dir>         Storage directory (default: the current directory).
          -j, --jobs <n>          Downloads (or, for verify, albums) at once, 1 to 64 (default: 8).
          --refresh               Check albums already in the catalog again (including those
                                  recorded as unavailable), and fetch what is new or missing.
          --animated <format>     gif (default) or mp4: which file to keep for animated media.
                                  GIFs over 20 MB are always kept as mp4 (Imgur only serves a
                                  thumbnail of them as GIF).
          --metadata-only         Write the documents, download no media.
          --media-only            Download the media, write no documents.
          --comments              Also keep gallery posts' comments (comments_<ID>.json).
          --all-pages             user: walk every page, not only the new ones.
          --newest-first          user: archive the newest items first (default).
          --oldest-first          user: archive the oldest items first.
          --repair                verify: fetch again what is missing or damaged (damaged files
                                  are kept aside as <file>.damaged-<time>).
          --wait                  If another run is using the storage directory, wait for it
                                  instead of exiting with status 75.
          -q, --quiet             Print only errors and a summary of failures.
          -v, --verbose           Also print every request and retry.
          --version               Print the version.
          -h, --help              Show this help.
          --                      Everything after it is an id or URL (an album named "verify").

        ENVIRONMENT:
          IMGUR_CLIENT_ID         Client id of your Imgur application (else api_secrets.json in
                                  the storage directory, else
                                  $XDG_CONFIG_HOME/imgur-archive/api_secrets.json).
          IMGUR_API_BASE          API root (default https://api.imgur.com); plain http only to
                                  a loopback host.
          NO_COLOR                Never use colour.
          SOURCE_DATE_EPOCH       Write this time (unix seconds) in the documents instead of now.

        EXIT STATUS:
          0    Everything asked for is in the archive (or, for verify, intact).
          1    Some albums failed or are damaged, or some input could not be used.
          64   Usage error.
          75   Temporary problem (rate limit, network, another run): run again later.
          78   Configuration error (credentials, storage directory, catalog).
          130  Interrupted (SIGINT); 143 terminated (SIGTERM). Partial files resume next run.

        """
}
