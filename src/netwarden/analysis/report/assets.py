"""The report's stylesheet and script, inlined into the page (it must work offline)."""

from __future__ import annotations

__all__ = ["CSS", "JS"]

CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;
color:#1d2330;background:#f4f6fa}
header{background:#1f3b63;color:#fff;padding:16px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85}main{padding:18px 28px;max-width:1600px}
section{background:#fff;border-radius:10px;box-shadow:0 1px 3px #0002;padding:14px 18px;
margin-bottom:18px}h2{margin:0 0 10px;font-size:17px;color:#1f3b63}
.scroll{overflow:auto}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:10px;
margin:0 0 10px}.card{border:1px solid #dfe4ee;border-radius:8px;padding:8px 14px}
.card b{display:block;font-size:22px;color:#1f3b63}.card.warn b{color:#b2461a}
ul.names{margin:4px 0 0;padding-left:20px;columns:2}
#graph{max-width:100%;height:auto;display:block;margin:6px auto}
#graph .node text{pointer-events:none}
#graph.focus .edge{opacity:.12}#graph.focus .edge.hot{opacity:1}
#graph.focus .edge.hot path{stroke-width:2.6}
#graph .edge.hidden{display:none}
.legend{color:#445;font-size:13px}.legend span{display:inline-block;margin-right:16px}
.sw{display:inline-block;width:22px;height:4px;vertical-align:middle;margin-right:5px}
table{border-collapse:collapse;font-size:12px}
table.matrix td,table.matrix th{border:1px solid #e3e6ee;padding:3px 5px;text-align:center}
table.matrix thead th.col{vertical-align:bottom;white-space:nowrap;padding:6px 3px}
table.matrix thead th.col span{writing-mode:vertical-rl;transform:rotate(180deg);
display:inline-block;max-height:190px;overflow:hidden;text-overflow:ellipsis;font-weight:500}
table.matrix th.rowh{text-align:left;white-space:nowrap;font-weight:500}
table.matrix td{min-width:42px;max-width:110px;font-size:11px;word-break:normal}
.ns-tag{color:#778;font-weight:400}
td.full{background:#dff3e6;color:#216e40}td.part{background:#fdebd5;color:#8a4b0f}
td.none{background:#f6f7f9;color:#b8bccb}td.self{background:#eef0f4;color:#99a}
td.partial{outline:2px dashed #c25a00;outline-offset:-3px}
table.findings{width:100%}table.findings th,table.findings td{border-bottom:1px solid #e3e6ee;
padding:5px 8px;text-align:left;vertical-align:top}
.sev{font-weight:600;text-transform:uppercase;font-size:11px}.sev.error{color:#b3261e}
.sev.warning{color:#b2461a}.sev.info{color:#3d6fb4}.loc{color:#667;font-size:11px}
.fix{color:#445;font-size:12px}
.broad{color:#b2461a;font-weight:600}table.exposure tbody{border-top:2px solid #cfd6e4;
break-inside:avoid}table.exposure td.none{color:#99a}
table.exposure td.ports{white-space:nowrap}
table.exposure .caveat{color:#8a5a00;font-weight:400;font-style:italic;
font-size:12px}table.exposure th.rowh{text-align:left;
vertical-align:top}
.policy{border-left:4px solid #3d7dd8;padding:4px 12px;margin:10px 0;break-inside:avoid}
.policy h3{margin:0;font-size:14px}.policy p{margin:4px 0}.policy ul{margin:2px 0;
padding-left:20px}.where{font-weight:400;color:#778;font-size:12px;margin-left:6px}
h3.tier{font-size:15px;color:#44557a;margin:14px 0 4px}
input#filter{padding:5px 8px;border:1px solid #ccd;border-radius:6px;width:280px}
.note{background:#fff6e5;border-left:4px solid #e08a2c;padding:6px 12px}
.print-only{display:none}
@page{size:A4 landscape;margin:12mm}
@media print{
  body{background:#fff;font-size:11px}header{background:#fff;color:#1d2330;padding:0 0 8px;
  border-bottom:2px solid #1f3b63}main{padding:8px 0;max-width:none}
  section{box-shadow:none;border-radius:0;padding:0;margin:0 0 10px;break-before:page}
  section#summary-section{break-before:auto}
  .scroll{overflow:visible}.screen-only,#filter{display:none}.print-only{display:block}
  #graph{max-height:170mm;width:auto;max-width:100%}
  table{page-break-inside:auto}tr{break-inside:avoid}thead{display:table-header-group}
  table.matrix{font-size:9px;margin-bottom:8px}table.matrix td{min-width:0;max-width:none}
  td.full,td.part,td.none,td.self{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""

JS = """
(function(){var svg=document.getElementById('graph');if(!svg)return;
var edges=[].slice.call(svg.querySelectorAll('.edge'));
[].forEach.call(svg.querySelectorAll('.node'),function(n){var name=n.getAttribute('data-name');
n.addEventListener('mouseenter',function(){svg.classList.add('focus');edges.forEach(function(e){
if(e.getAttribute('data-from')===name||e.getAttribute('data-to')===name)e.classList.add('hot');});});
n.addEventListener('mouseleave',function(){svg.classList.remove('focus');
edges.forEach(function(e){e.classList.remove('hot');});});});
var f=document.getElementById('filter');if(f)f.addEventListener('input',function(){
var q=f.value.toLowerCase();edges.forEach(function(e){var t=(e.getAttribute('data-from')+' '+
e.getAttribute('data-to')+' '+e.getAttribute('data-services')).toLowerCase();
e.classList.toggle('hidden',q!==''&&t.indexOf(q)<0);});});
})();
"""
