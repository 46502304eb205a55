/*
 * Polku web UI: htmx settings, the CSRF header, focus after navigation, Mermaid diagrams.
 *
 * Loaded with `defer` right after htmx, so it runs before htmx processes the page. There is no
 * inline script or inline style anywhere, so a strict Content-Security-Policy
 * (script-src 'self'; style-src 'self') holds. See docs/ui.md.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var htmx = window.htmx;

  // --- htmx -------------------------------------------------------------------------------------
  if (htmx) {
    Object.assign(htmx.config, {
      selfRequestsOnly: true, // never talk to another origin
      allowEval: false, // no hx-on / js: / eval-based features
      allowScriptTags: false, // scripts in swapped content never run
      includeIndicatorStyles: false, // htmx would inject an inline <style>; app.css has the rules
      historyCacheSize: 0, // keep no page snapshots (client data!) in localStorage
      defaultSwapStyle: "outerHTML", // a block contains the element it replaces
      getCacheBusterParam: false,
      globalViewTransitions: false,
      scrollIntoViewOnBoost: true,
      // A form answered 422 (inline errors) or 409 (someone else moved the journey first)
      // carries the blocks to show, with the message: swap them like a 200 (docs/ui.md).
      responseHandling: [
        { code: "204", swap: false },
        { code: "[23]..", swap: true },
        { code: "409", swap: true, error: false },
        { code: "422", swap: true, error: false },
        { code: "[45]..", swap: false, error: true },
        { code: "...", swap: false },
      ],
    });
  }

  // An HTML error page for an htmx request (403, 404, 429, 500: web/errors.py) names where it
  // goes (HX-Retarget: #main): show it there instead of silently doing nothing.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  var UNSAFE_METHODS = { post: true, put: true, patch: true, delete: true };
  var FORM_SECTIONS = { journey_actions: true, contact_form: true, goals: true };

  // The security middleware puts the session's CSRF token in <meta name="csrf-token">.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var token = meta ? meta.getAttribute("content") : "";
    if (token && UNSAFE_METHODS[String(event.detail.verb).toLowerCase()]) {
      event.detail.headers["X-CSRF-Token"] = token;
    }
  });

  // After an htmx navigation has replaced <main id="main">, move focus there (as a page load
  // would) so keyboard and screen reader users start at the new content.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.target;
    if (target && target.id === "main" && typeof target.focus === "function") {
      target.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
    // A form answered in place (next steps, contact): the button pressed is gone, so focus
    // goes to the section's heading (tabindex="-1"); its status or error message follows.
    var heading = target && FORM_SECTIONS[target.id] ? target.querySelector("h2[tabindex]") : null;
    if (heading) {
      heading.focus({ preventScroll: true });
    }
  });

  // --- Mermaid diagrams ---------------------------------------------------------------------------
  // A diagram host is an element with [data-mermaid] holding the Mermaid text in a
  // <pre class="diagram__source">. mermaid.min.js (3.5 MB) is loaded only when a page has one.
  //
  // Mermaid styles its SVG with inline style attributes and a <style> element, and it passes its
  // SVG through markup (innerHTML, DOMPurify). A strict CSP (style-src 'self') blocks, and
  // reports, every inline style the browser meets in markup, even in a detached document. So
  // while Mermaid renders:
  // - style attributes are applied through the CSSOM (element.style.cssText), which CSP allows;
  // - its <style> element never enters the document: the rules become a constructed style sheet
  //   (document.adoptedStyleSheets, allowed too), scoped to the diagram's id by Mermaid itself;
  // - before Mermaid serialises its SVG, every style attribute moves to data-polku-style, so no
  //   markup carries an inline style; importSvg() applies them again through the CSSOM.

  var mermaidPromise = null;
  var renderQueue = Promise.resolve();
  var counter = 0;
  var sheets = {}; // diagram id -> CSSStyleSheet

  function loadMermaid() {
    if (!mermaidPromise) {
      mermaidPromise = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = script.getAttribute("data-mermaid-src");
        tag.onload = function () {
          var mermaid = window.mermaid;
          mermaid.initialize({
            startOnLoad: false,
            securityLevel: "strict",
            theme: "default",
            htmlLabels: false,
            flowchart: { htmlLabels: false },
            // more room between states and ranks: fewer edge labels drawn over each other
            state: { nodeSpacing: 70, rankSpacing: 80 },
            fontFamily: window.getComputedStyle(document.body).fontFamily,
          });
          resolve(mermaid);
        };
        tag.onerror = function () {
          reject(new Error("could not load " + tag.src));
        };
        document.head.appendChild(tag);
      });
    }
    return mermaidPromise;
  }

  function useSheet(id, cssText) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(cssText);
    sheets[id] = sheet;
    // Drop the sheets of diagrams no longer on the page (htmx swapped them out).
    Object.keys(sheets).forEach(function (key) {
      if (key !== id && !document.getElementById(key)) {
        delete sheets[key];
      }
    });
    document.adoptedStyleSheets = Object.keys(sheets).map(function (key) {
      return sheets[key];
    });
  }

  function isStyleElement(node) {
    return Boolean(node) && node.nodeType === 1 && node.localName === "style";
  }

  function moveStylesToData(root) {
    var styled = Array.prototype.slice.call(root.querySelectorAll("[style]"));
    if (root.hasAttribute && root.hasAttribute("style")) {
      styled.push(root);
    }
    styled.forEach(function (el) {
      el.setAttribute("data-polku-style", el.getAttribute("style"));
      el.removeAttribute("style");
    });
  }

  // Run Mermaid without any inline style reaching markup; resolves to the SVG markup.
  function renderCspSafe(mermaid, id, source) {
    var elementProto = Element.prototype;
    var nodeProto = Node.prototype;
    var originalSetAttribute = elementProto.setAttribute;
    var originalInsertBefore = nodeProto.insertBefore;
    var originalAppendChild = nodeProto.appendChild;
    var innerHTML = Object.getOwnPropertyDescriptor(elementProto, "innerHTML");

    function takeStyle(node) {
      useSheet(id, node.textContent);
      return node;
    }
    elementProto.setAttribute = function (name, value) {
      if (String(name).toLowerCase() === "style" && this.style) {
        this.style.cssText = String(value);
        return undefined;
      }
      return originalSetAttribute.call(this, name, value);
    };
    nodeProto.insertBefore = function (node, reference) {
      return isStyleElement(node) ? takeStyle(node) : originalInsertBefore.call(this, node, reference);
    };
    nodeProto.appendChild = function (node) {
      return isStyleElement(node) ? takeStyle(node) : originalAppendChild.call(this, node);
    };
    if (innerHTML && innerHTML.configurable && innerHTML.get) {
      Object.defineProperty(elementProto, "innerHTML", {
        configurable: true,
        enumerable: innerHTML.enumerable,
        get: function () {
          moveStylesToData(this);
          return innerHTML.get.call(this);
        },
        set: innerHTML.set,
      });
    }
    function restore() {
      elementProto.setAttribute = originalSetAttribute;
      nodeProto.insertBefore = originalInsertBefore;
      nodeProto.appendChild = originalAppendChild;
      if (innerHTML && innerHTML.configurable) {
        Object.defineProperty(elementProto, "innerHTML", innerHTML);
      }
    }
    var rendering;
    try {
      rendering = Promise.resolve(mermaid.render(id, source));
    } catch (error) {
      restore();
      return Promise.reject(error);
    }
    return rendering.then(
      function (result) {
        restore();
        return result.svg;
      },
      function (error) {
        restore();
        throw error;
      },
    );
  }

  // Parse Mermaid's SVG markup (free of inline styles) and move it into the page.
  function importSvg(markup) {
    var parsed = new DOMParser().parseFromString(markup, "image/svg+xml");
    var svg = parsed.documentElement;
    if (!svg || svg.localName !== "svg" || parsed.getElementsByTagName("parsererror").length) {
      throw new Error("Mermaid returned no SVG");
    }
    var node = document.adoptNode(svg);
    var styled = Array.prototype.slice.call(node.querySelectorAll("[data-polku-style]"));
    if (node.hasAttribute("data-polku-style")) {
      styled.push(node);
    }
    styled.forEach(function (el) {
      el.style.cssText = el.getAttribute("data-polku-style");
      el.removeAttribute("data-polku-style");
    });
    return node;
  }

  function drawDiagram(mermaid, host) {
    var sourceElement = host.querySelector(".diagram__source");
    if (!sourceElement || host.getAttribute("data-mermaid-state")) {
      return Promise.resolve();
    }
    host.setAttribute("data-mermaid-state", "rendering");
    counter += 1;
    var id = "polku-diagram-" + counter;
    return renderCspSafe(mermaid, id, sourceElement.textContent).then(
      function (markup) {
        var svg = importSvg(markup);
        host.replaceChildren(svg);
        showZoom(host, svg);
        host.setAttribute("data-mermaid-state", "done");
      },
      function (error) {
        host.setAttribute("data-mermaid-state", "failed");
        throw error;
      },
    );
  }

  // "Actual size" toggle of a drawn diagram (the button is hidden until the SVG exists).
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-diagram-zoom]") : null;
    var host = button ? document.getElementById(button.getAttribute("data-diagram-zoom")) : null;
    var svg = host ? host.querySelector("svg") : null;
    if (!svg) {
      return;
    }
    var actual = button.getAttribute("aria-pressed") !== "true";
    var box = svg.viewBox && svg.viewBox.baseVal;
    svg.style.width = actual && box ? box.width + "px" : "";
    svg.style.maxWidth = actual ? "none" : svg.getAttribute("data-polku-max-width") || "";
    button.setAttribute("aria-pressed", actual ? "true" : "false");
  });

  function showZoom(host, svg) {
    svg.setAttribute("data-polku-max-width", svg.style.maxWidth);
    var button = document.querySelector('[data-diagram-zoom="' + host.id + '"]');
    if (button) {
      button.hidden = false;
    }
  }

  function renderDiagrams(root) {
    if (!root || !root.querySelectorAll) {
      return;
    }
    var hosts = Array.prototype.slice.call(root.querySelectorAll("[data-mermaid]"));
    if (root.matches && root.matches("[data-mermaid]")) {
      hosts.unshift(root);
    }
    if (!hosts.length) {
      return;
    }
    loadMermaid().then(
      function (mermaid) {
        hosts.forEach(function (host) {
          // One render at a time: the style hooks above are global while Mermaid runs.
          renderQueue = renderQueue
            .then(function () {
              return drawDiagram(mermaid, host);
            })
            .catch(function (error) {
              console.error("Polku: the diagram could not be drawn:", error);
            });
        });
      },
      function (error) {
        console.error("Polku: Mermaid could not be loaded:", error);
      },
    );
  }

  if (htmx) {
    htmx.onLoad(renderDiagrams); // the page at start, then every piece of swapped-in content
  } else {
    document.addEventListener("DOMContentLoaded", function () {
      renderDiagrams(document.body);
    });
  }
})();
