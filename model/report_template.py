"""The HTML template of the audit report (Jinja2, autoescaped: data never becomes markup)."""

from __future__ import annotations

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Audit report: {{ what.run }}</title>
<style>
  @page { size: A4; margin: 16mm 14mm; }
  body { font-family: "DejaVu Sans", sans-serif; font-size: 10.5pt; color: #1d1d1f;
         max-width: 60em; margin: 1.5em auto; padding: 0 1em; line-height: 1.4; }
  h1 { font-size: 18pt; margin-bottom: 0.2em; }
  h2 { font-size: 13pt; border-bottom: 1px solid #bbb; margin-top: 1.6em; }
  table { border-collapse: collapse; margin: 0.5em 0; font-size: 9.5pt; }
  th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .flag { background: #fde2e1; font-weight: bold; }
  .muted { color: #666; }
  .summary { background: #f3f6fb; border-left: 4px solid #3b6fb6; padding: 0.4em 1em; }
  img.chart { max-width: 100%; height: auto; display: block; margin: 0.5em 0; }
  code { font-size: 9pt; word-break: break-all; }
</style>
</head>
<body>
<h1>Audit report: {{ what.title }}</h1>
<p class="muted">Generated {{ what.generated }} by Sesame Audit {{ what.tool_version }}.
Groups under {{ k }} people are suppressed; no individual's row appears in this report.</p>

<section id="summary" class="summary">
<h2>Summary of findings</h2>
<ul>{% for line in summary %}<li>{{ line }}</li>{% endfor %}</ul>
</section>

<section id="audited">
<h2>What was audited</h2>
<table>
{% for key, value in what.rows %}<tr><th>{{ key }}</th><td>{{ value }}</td></tr>
{% endfor %}</table>
<h3>Files</h3>
<table><tr><th>file</th><th>sha256</th></tr>
{% for name, digest in what.files %}<tr><td>{{ name }}</td><td><code>{{ digest }}</code></td></tr>
{% endfor %}</table>
<h3>Versions</h3>
<p>{% for name, version in what.versions %}{{ name }} {{ version }}
{%- if not loop.last %}, {% endif %}{% endfor %}</p>
</section>

<section id="accuracy">
<h2>Accuracy</h2>
<table>{% for key, value in accuracy %}<tr><th>{{ key }}</th><td class="num">{{ value }}</td></tr>
{% endfor %}</table>
</section>

<section id="drivers">
<h2>What drives the score</h2>
<p>Average absolute SHAP value of each input: how far, on average, it moves a person's score
away from the average score ({{ explains }}).</p>
<img class="chart" alt="Global drivers" src="{{ charts.drivers }}">
<table><tr><th>input</th><th>privacy category</th><th>mean |SHAP|</th></tr>
{% for row in drivers %}<tr><td>{{ row.label }}</td><td>{{ row.privacy }}</td>
<td class="num">{{ row.mean_abs }}</td></tr>
{% endfor %}</table>
<h3>By privacy category</h3>
<img class="chart" alt="Drivers by privacy category" src="{{ charts.privacy }}">
<table><tr><th>privacy category</th><th>share of all movement</th></tr>
{% for row in privacy %}<tr><td>{{ row.privacy }}</td><td class="num">{{ row.share }}</td></tr>
{% endfor %}</table>
</section>

<section id="fairness">
<h2>Fairness by group and tier</h2>
<p>Impact ratio: a group's rate of reaching a tier divided by the best-served group's rate.
Under 0.8 fails the four-fifths rule (flagged). Suppressed: fewer than {{ k }} people.</p>
{% if charts.fairness %}
<img class="chart" alt="Lowest impact ratio per group" src="{{ charts.fairness }}">
{% endif %}
<table><tr><th>attribute</th><th>group</th>
{% for tier in tiers %}<th>{{ tier }}</th>{% endfor %}</tr>
{% for row in fairness %}<tr><td>{{ row.attribute }}</td><td>{{ row.group }}</td>
{% for cell in row.cells %}
<td class="num{% if cell.flagged %} flag{% endif %}">{{ cell.text }}</td>
{% endfor %}</tr>
{% endfor %}</table>
<p>{{ flags|length }} flagged cell(s).</p>
</section>

<section id="proxies">
<h2>Proxies of sensitive attributes</h2>
<p>How well one input alone predicts a sensitive attribute (area under the ROC curve:
0.5 is chance, 1 is certainty). A strong proxy lets a score discriminate without reading the
attribute.</p>
{% if proxies %}<table><tr><th>input</th><th>predicts</th><th>strength</th></tr>
{% for row in proxies %}<tr><td>{{ row.feature }}</td><td>{{ row.attribute }}</td>
<td class="num">{{ row.strength }}</td></tr>
{% endfor %}</table>{% else %}<p class="muted">No proxy measured.</p>{% endif %}
</section>

<section id="friends">
<h2>Friends' influence</h2>
<p>Mean points each group gets from its friends' scores.</p>
{% if friends %}<table><tr><th>attribute</th><th>group</th><th>points from friends</th></tr>
{% for attribute, group, points in friends %}<tr><td>{{ attribute }}</td><td>{{ group }}</td>
<td class="num">{{ points }}</td></tr>
{% endfor %}</table>
{% else %}<p class="muted">Friends' scores are not an input of this model: not measured.</p>
{% endif %}
</section>

<section id="suppressed">
<h2>Suppressed cells</h2>
<p>{{ suppressed }} group-by-tier cell(s) had fewer than {{ k }} people and are not shown.</p>
</section>
</body>
</html>
"""
