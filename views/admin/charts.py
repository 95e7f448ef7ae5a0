"""Server-side SVG charts for the dashboard: no JavaScript, every label escaped."""
from markupsafe import Markup, escape

BAR_HEIGHT, LABEL_WIDTH, BAR_WIDTH = 22, 150, 320
LINE_WIDTH, LINE_HEIGHT, PAD = 520, 180, 30
SERIES_COLOURS = ("#0b5cad", "#1b7a3a", "#b42318", "#8a5a00")


def _number(value) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def bar_chart(title: str, labels: list, values: list) -> Markup:
    """Horizontal bars, one per label, scaled to the largest value."""
    top = max([_number(v) for v in values] + [1.0])
    height = BAR_HEIGHT * max(len(labels), 1) + 4
    parts = []
    for row, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = row * BAR_HEIGHT + 2
        width = round(BAR_WIDTH * _number(value) / top, 1)
        parts.append(Markup(
            '<text x="{lx}" y="{ty}" text-anchor="end">{label}</text>'
            '<rect x="{bx}" y="{y}" width="{w}" height="{h}" fill="#0b5cad"></rect>'
            '<text x="{vx}" y="{ty}">{value}</text>').format(
            lx=LABEL_WIDTH - 6, ty=y + 15, label=str(label), bx=LABEL_WIDTH, y=y, w=width,
            h=BAR_HEIGHT - 6, vx=LABEL_WIDTH + width + 4, value="" if value is None else value))
    return _svg(title, LABEL_WIDTH + BAR_WIDTH + 60, height, Markup("").join(parts))


def line_chart(title: str, labels: list, series: dict[str, list]) -> Markup:
    """One polyline per series over the labels (days), with a legend."""
    top = max([_number(v) for values in series.values() for v in values] + [1.0])
    steps = max(len(labels) - 1, 1)
    parts = [Markup('<line x1="{p}" y1="{b}" x2="{r}" y2="{b}" stroke="#999"></line>'
                    '<text x="2" y="{t}">{top}</text><text x="2" y="{b}">0</text>').format(
        p=PAD, b=LINE_HEIGHT - PAD, r=LINE_WIDTH - 10, t=PAD, top=int(top))]
    for index, (name, values) in enumerate(series.items()):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        points = " ".join(
            f"{PAD + (LINE_WIDTH - PAD - 10) * i / steps:.1f},"
            f"{LINE_HEIGHT - PAD - (LINE_HEIGHT - 2 * PAD) * _number(v) / top:.1f}"
            for i, v in enumerate(values))
        parts.append(Markup('<polyline fill="none" stroke="{c}" stroke-width="2" points="{p}">'
                            '</polyline><text x="{x}" y="{y}" fill="{c}">{name}</text>').format(
            c=colour, p=points, x=PAD + 120 * index, y=LINE_HEIGHT - 6, name=name))
    if labels:
        parts.append(Markup('<text x="{p}" y="{y}" font-size="10">{first}</text>'
                            '<text x="{r}" y="{y}" font-size="10" text-anchor="end">{last}</text>')
                     .format(p=PAD, r=LINE_WIDTH - 10, y=LINE_HEIGHT - PAD + 12,
                             first=str(labels[0]), last=str(labels[-1])))
    return _svg(title, LINE_WIDTH, LINE_HEIGHT, Markup("").join(parts))


def _svg(title: str, width: int, height: int, body: Markup) -> Markup:
    return Markup('<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
                  'width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-size="12">'
                  '<title>{title}</title>{body}</svg>').format(
        w=width, h=height, title=escape(str(title)), body=body)
