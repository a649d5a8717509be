// The dashboard's page, script and style sheet, compiled into the agent from
// agent/dashboard/assets/ (CMake generates the definition: embed_assets.cmake), so the agent
// serves them without any file installed beside it. Chart.js is not among them: the agent reads
// Debian's copy at start (see DashboardOptions::chartjs_path).
#pragma once

#include <string_view>

namespace corral::agent::dashboard {

struct Asset {
  std::string_view content_type;
  std::string_view body;
};

// The asset served at `path` ("/index.html", "/app.js", ...); null when there is none.
const Asset* FindAsset(std::string_view path);

}  // namespace corral::agent::dashboard
