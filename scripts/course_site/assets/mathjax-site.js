MathJax.Hub.Config({"HTML-CSS": {
  availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web", imageFont: null,
  styles: {"@font-face": {"font-family": "MathJax_Blank", src: "local('MathJax_Blank_None')"}}
}});
MathJax.Ajax.loadComplete("[MathJax]/config/local/site.js");
