import DurableFiles
import Foundation

/// The stylesheet, the filter script and the `<head>` shared by the viewer's pages: all inline,
/// so a page needs nothing but itself and the media files beside it.
///
/// The Content-Security-Policy allows exactly these inline blocks (by hash) and local media, and
/// nothing else: no request can leave the machine, even if some text in a page were not escaped.
enum ViewerAssets {
    /// Colours as variables, so that dark mode is one block.
    static let baseStyle = """
        :root{color-scheme:light dark;--bg:#f5f5f3;--fg:#1d1d20;--muted:#67676e;--card:#fff;--line:#dcdcd8;\
        --accent:#1f5fc4;--gone:#e8e8e4}
        @media (prefers-color-scheme:dark){:root{--bg:#131315;--fg:#e7e7ea;--muted:#9c9ca4;--card:#1d1d21;\
        --line:#303036;--accent:#7fb0ff;--gone:#25252b}}
        *{box-sizing:border-box}
        [hidden]{display:none!important}
        html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
        body{margin:0;background:var(--bg);color:var(--fg);\
        font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
        a{color:var(--accent)}
        .wrap{max-width:76rem;margin:0 auto;padding:1.25rem 1rem 3rem}
        h1{font-size:1.65rem;line-height:1.25;margin:.2rem 0 .4rem;overflow-wrap:anywhere}
        .meta{color:var(--muted);font-size:.875rem;margin:0}
        .badge{display:inline-block;padding:0 .45em;border-radius:.3em;background:var(--gone);color:var(--fg);\
        font-size:.8rem}
        .gone{display:flex;flex-direction:column;align-items:center;justify-content:center;gap:.15rem;\
        padding:1rem;text-align:center;color:var(--muted);border:1px dashed var(--line);\
        background:repeating-linear-gradient(135deg,var(--gone) 0 12px,transparent 12px 24px)}
        .gone b{color:var(--fg);font-weight:600;text-transform:capitalize}
        footer{margin-top:2.5rem;color:var(--muted);font-size:.85rem}
        """

    static let indexStyle = baseStyle + "\n" + """
        .top{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.75rem 1.5rem}
        .top h1{margin:0}
        .search{display:flex;align-items:center;justify-content:flex-end;gap:.75rem;flex:1 1 16rem;max-width:28rem}
        #filter{flex:1 1 auto;min-width:0;font:inherit;padding:.45rem .75rem;border:1px solid var(--line);\
        border-radius:.5rem;background:var(--card);color:var(--fg)}
        #shown{color:var(--muted);font-size:.875rem;white-space:nowrap}
        .grid{list-style:none;margin:1.25rem 0 0;padding:0;display:grid;gap:1rem;\
        grid-template-columns:repeat(auto-fill,minmax(14rem,1fr))}
        .card{background:var(--card);border:1px solid var(--line);border-radius:.6rem;overflow:hidden;\
        content-visibility:auto;contain-intrinsic-size:auto 17rem}
        .card>a{display:block;height:100%;color:inherit;text-decoration:none}
        .card>a:hover h2,.card>a:focus-visible h2{text-decoration:underline}
        .cover{display:block;width:100%;aspect-ratio:4/3;object-fit:cover;background:var(--gone);border:0}
        .cover.gone{display:flex}
        .info{padding:.6rem .75rem .75rem}
        .info h2{font-size:1rem;line-height:1.3;margin:0 0 .25rem;overflow-wrap:anywhere;overflow:hidden;\
        display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical}
        .empty{color:var(--muted)}
        @media (max-width:32rem){.wrap{padding:1rem .75rem 2rem}\
        .grid{grid-template-columns:repeat(2,minmax(0,1fr));gap:.6rem}.info{padding:.45rem .55rem .6rem}\
        .info h2{font-size:.95rem}}
        """

    static let albumStyle = baseStyle + "\n" + """
        .wrap{max-width:56rem}
        .back{display:inline-block;margin-bottom:.75rem;text-decoration:none}
        .back:hover{text-decoration:underline}
        .desc{white-space:pre-wrap;overflow-wrap:anywhere;margin:1rem 0 0}
        .media{list-style:none;margin:2rem 0 0;padding:0;display:flex;flex-direction:column;gap:2.25rem}
        .media>li{margin:0}
        figure{margin:0}
        .pos{display:flex;align-items:baseline;gap:.5rem;margin:0 0 .4rem;color:var(--muted);font-size:.85rem}
        .pos a{min-width:1.75rem;padding:0 .45rem;border-radius:1rem;background:var(--gone);color:var(--fg);\
        text-align:center;text-decoration:none;font-weight:600;font-variant-numeric:tabular-nums}
        .pos strong{color:var(--fg);font-size:1rem;overflow-wrap:anywhere}
        figure a.full{display:block}
        figure img,figure video{display:block;max-width:100%;height:auto;margin:0 auto;border-radius:.4rem;\
        background:var(--gone)}
        figure .gone{min-height:12rem;border-radius:.4rem}
        figcaption{margin:.6rem 0 0;white-space:pre-wrap;overflow-wrap:anywhere}
        """

    /// Shows the filter box (useless without this script, so hidden in the markup) and hides the
    /// cards whose text does not contain every word typed. Each card's text is read once, at the
    /// first keystroke, not at load: a page of 100,000 albums opens without waiting for it.
    static let filterScript = """
        (function () {
          var box = document.getElementById("filter");
          var list = document.getElementById("albums");
          var shown = document.getElementById("shown");
          if (!box || !list || !shown) return;
          var cards = list.children;
          var texts = null;
          function apply() {
            var words = box.value.toLowerCase().split(/\\s+/).filter(function (w) { return w.length > 0; });
            if (texts === null) {
              texts = [];
              for (var i = 0; i < cards.length; i++) texts.push(cards[i].textContent.toLowerCase());
            }
            var count = 0;
            for (var j = 0; j < cards.length; j++) {
              var text = texts[j];
              var match = words.every(function (w) { return text.indexOf(w) !== -1; });
              cards[j].hidden = !match;
              if (match) count++;
            }
            shown.textContent = words.length === 0 ? "" : count + " of " + cards.length + " shown";
          }
          box.hidden = false;
          box.addEventListener("input", apply);
          if (box.value) apply();
        })();
        """

    /// `'sha256-…'`, the CSP source that allows exactly this inline block.
    static func hashSource(_ text: String) -> String {
        var hasher = SHA256()
        hasher.update(Data(text.utf8))
        return "'sha256-\(Data(hasher.finalize()).base64EncodedString())'"
    }

    /// Media only from the page's own place, styles and scripts only the inline blocks written
    /// here, and nothing else at all. `'self'` covers a page served over HTTP (and, in Chromium
    /// 156, sibling files of a page opened from disk); `file:` is there for browsers that give a
    /// file:// page an opaque origin, which `'self'` never matches. Neither reaches the network.
    static func contentSecurityPolicy(style: String, script: String?) -> String {
        var policy = "default-src 'none'; img-src 'self' file:; media-src 'self' file:; style-src \(hashSource(style)); "
        policy += "script-src \(script.map(hashSource) ?? "'none'"); base-uri 'none'; form-action 'none'"
        return policy
    }

    static let indexPolicy = contentSecurityPolicy(style: indexStyle, script: filterScript)
    static let albumPolicy = contentSecurityPolicy(style: albumStyle, script: nil)

    /// From `<!DOCTYPE html>` to the opening `<body>`.
    static func head(title: String, style: String, policy: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="\(HTMLText.attribute(policy))">
        <meta name="referrer" content="no-referrer">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <meta name="generator" content="imgur-archive">
        <title>\(HTMLText.escape(title))</title>
        <style>\(style)</style>
        </head>
        <body>

        """
    }
}
