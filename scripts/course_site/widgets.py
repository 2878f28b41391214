"""Widget outputs as static HTML: the site has no kernel, so a widget becomes a copy of its first view.

A committed notebook keeps a widget as a ``widget-view`` reference plus a text repr (``VBox(children=…)``); nothing
on the site can draw it. Each is replaced by its first view rebuilt from the widget state that Jupyter saved in the
notebook (its image, its controls' values, its labels) and a note to open it in Colab.

This runs on the site's copy of each notebook before MkDocs sees it, not as an nbconvert preprocessor inside
mkdocs-jupyter: that plugin builds its exporter with a fixed preprocessor list and offers no setting to add one.
"""
from __future__ import annotations

import copy
import html

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

def widget_fallback(view: dict, state: dict, colab: str) -> str:
    """Static HTML for one widget output: its first view rebuilt from the saved widget ``state`` (images, control
    values, labels) and a note that it is interactive in Jupyter or Colab."""
    model_id = view.get("model_id", "")
    body = _render_widget(model_id, state, depth=0) if model_id in state else ""
    note = ("<strong>Interactive widget</strong> — shown here as a static copy of its first view. "
            if body else "<strong>Interactive widget</strong> — its state was not saved with the notebook. ")
    note += f'To use it, <a href="{html.escape(colab)}">open the notebook in Colab</a> or run it in Jupyter.'
    return f'<div class="widget-fallback">\n<p class="widget-fallback-note">{note}</p>\n{body}</div>\n'


def _render_widget(model_id: str, state: dict, depth: int) -> str:
    model = state.get(model_id)
    if model is None or depth > 20:
        return ""
    name = model.get("model_name", "")
    s = model.get("state", {})
    desc = html.escape(str(s.get("description") or ""))
    label = f"{desc}: " if desc else ""
    if name in ("VBoxModel", "HBoxModel", "BoxModel", "GridBoxModel", "TabModel", "AccordionModel",
                "InteractiveModel") or "children" in s and isinstance(s.get("children"), list):
        kind = "row" if name == "HBoxModel" else "column"
        inner = "".join(_render_widget(_ref(c), state, depth + 1) for c in s.get("children", []))
        return f'<div class="widget-fallback-{kind}">{inner}</div>'
    if name == "ImageModel":
        data = next((b["data"] for b in model.get("buffers", []) if b.get("path") == ["value"]), None)
        if data is None:
            return ""
        fmt = str(s.get("format") or "png").lower()
        mime = "image/svg+xml" if fmt == "svg" else f"image/{'jpeg' if fmt == 'jpg' else fmt}"
        width = f' width="{html.escape(str(s["width"]))}"' if str(s.get("width") or "").isdigit() else ""
        return f'<img class="widget-fallback-image" src="data:{mime};base64,{data}"{width} alt="first view">'
    if name in ("DropdownModel", "SelectModel", "RadioButtonsModel", "ToggleButtonsModel", "SelectionSliderModel"):
        labels, index = s.get("_options_labels") or [], s.get("index")
        value = labels[index] if isinstance(index, int) and 0 <= index < len(labels) else ""
        more = f" (1 of {len(labels)})" if len(labels) > 1 else ""
        return f'<span class="widget-fallback-control">{label}<code>{html.escape(str(value))}</code>{more}</span>'
    if name.endswith("SliderModel") or name.endswith("TextModel") and "value" in s or name in (
            "BoundedIntTextModel", "BoundedFloatTextModel", "CheckboxModel", "ToggleButtonModel"):
        bounds = f" (of {s['min']}–{s['max']})" if "min" in s and "max" in s else ""
        return (f'<span class="widget-fallback-control">{label}<code>{html.escape(str(s.get("value")))}</code>'
                f"{bounds}</span>")
    if name in ("LabelModel",):
        return f'<p class="widget-fallback-label">{label}{html.escape(str(s.get("value", "")))}</p>'
    if name in ("HTMLModel", "HTMLMathModel"):
        return f'<div class="widget-fallback-label">{label}{s.get("value", "")}</div>'
    if name == "OutputModel":
        return "".join(_render_output(o) for o in s.get("outputs", []))
    if name.endswith("Model") and not name.endswith(("LayoutModel", "StyleModel")):
        return f'<span class="widget-fallback-control">{label}<em>{html.escape(name[:-5])}</em></span>'
    return ""


def _render_output(output: dict) -> str:
    """An Output widget's captured output as static HTML (stream text, an image, or text/plain)."""
    if output.get("output_type") == "stream":
        return f"<pre>{html.escape(''.join(output.get('text', '')))}</pre>"
    data = output.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            return f'<img src="data:{mime};base64,{"".join(data[mime]).strip()}" alt="output">'
    if "text/html" in data:
        return "".join(data["text/html"])
    if "text/plain" in data:
        return f"<pre>{html.escape(''.join(data['text/plain']))}</pre>"
    return ""


def _ref(child: str) -> str:
    return str(child).removeprefix("IPY_MODEL_")


def static_widgets(nb: dict, colab: str) -> tuple[dict, int]:
    """A copy of ``nb`` whose widget outputs are static HTML (``widget_fallback``), without the saved widget state
    (nothing on the site runs a widget manager); returns it and how many outputs were replaced."""
    nb = copy.deepcopy(nb)
    saved = nb.get("metadata", {}).pop("widgets", {}) or {}
    state = saved.get(WIDGET_STATE, {}).get("state", {})
    replaced = 0
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                output["data"] = {"text/html": widget_fallback(data[WIDGET_VIEW], state, colab)}
                output.get("metadata", {}).pop(WIDGET_VIEW, None)
                replaced += 1
    return nb, replaced
