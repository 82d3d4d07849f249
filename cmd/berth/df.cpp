// berth df [--json] [-v]: where the bytes under berthd's root go, who holds them, and what `berth gc` would free.
#include <cstdio>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "berth/services/df/v1/df.grpc.pb.h"
#include "fmt/format.h"
#include "progress_view.h"
#include "verbs.h"

namespace berth::cli {

namespace {

namespace api = berth::services::df::v1;

// Who a row is attributed to in the summary: its one holder, "shared" for several, "-" for none.
std::string HolderGroup(const api::Entry& e) {
  if (e.holders_size() == 1) return e.holders(0);
  if (e.holders_size() > 1) return fmt::format("shared by {}", e.holders_size());
  return "-";
}

nlohmann::json ToJson(const api::UsageResponse& resp) {
  nlohmann::json entries = nlohmann::json::array();
  for (const api::Entry& e : resp.entries()) {
    entries.push_back({{"category", e.category()},
                       {"kind", e.kind()},
                       {"namespace", e.namespace_()},
                       {"key", e.key()},
                       {"holders", std::vector<std::string>(e.holders().begin(), e.holders().end())},
                       {"path", e.path()},
                       {"bytes", e.bytes()},
                       {"reclaimable", e.reclaimable()},
                       {"note", e.note()}});
  }
  return {{"root", resp.root()},
          {"total_bytes", resp.total_bytes()},
          {"reclaimable_bytes", resp.reclaimable_bytes()},
          {"entries", std::move(entries)}};
}

void PrintTable(const api::UsageResponse& resp, bool verbose) {
  struct Row {
    int64_t count = 0, bytes = 0, reclaimable = 0;
  };
  std::map<std::tuple<std::string, std::string>, Row> rows;
  for (const api::Entry& e : resp.entries()) {
    Row& r = rows[{e.category(), HolderGroup(e)}];
    r.count++;
    r.bytes += e.bytes();
    if (e.reclaimable()) r.reclaimable += e.bytes();
  }
  std::printf("%-10s %-48s %6s %11s %11s\n", "CATEGORY", "HOLDER", "COUNT", "SIZE", "GC FREES");
  for (const auto& [key, r] : rows) {
    std::printf("%-10s %-48s %6ld %11s %11s\n", std::get<0>(key).c_str(), std::get<1>(key).c_str(),
                static_cast<long>(r.count), HumanBytes(r.bytes).c_str(),
                r.reclaimable > 0 ? HumanBytes(r.reclaimable).c_str() : "-");
  }
  // Orphans and everything gc frees are listed one by one: those are what an operator acts on.
  bool header = false;
  for (const api::Entry& e : resp.entries()) {
    if (!verbose && e.category() != "orphans" && !e.reclaimable()) continue;
    if (!header) {
      std::printf("\n%-10s %-7s %11s  %s\n", "CATEGORY", "KIND", "SIZE", "OBJECT (HOLDERS): NOTE");
      header = true;
    }
    std::string holders;
    for (const std::string& h : e.holders()) holders += (holders.empty() ? "" : ", ") + h;
    std::printf("%-10s %-7s %11s  %s%s%s\n", e.category().c_str(), e.kind().c_str(), HumanBytes(e.bytes()).c_str(),
                e.category() == "orphans" ? e.path().c_str() : e.key().c_str(),
                holders.empty() ? "" : (" (" + holders + ")").c_str(),
                e.note().empty() ? "" : (": " + e.note()).c_str());
  }
  std::printf("\ntotal %s under %s; berth gc would free %s\n", HumanBytes(resp.total_bytes()).c_str(),
              resp.root().c_str(), HumanBytes(resp.reclaimable_bytes()).c_str());
}

}  // namespace

void AddDf(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("df", "where the bytes under berthd's root go, and what gc would free");
  auto json = std::make_shared<bool>(false);
  auto verbose = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "print every entry as JSON (total_bytes matches du -sb of the root)");
  cmd->add_flag("--verbose,-v", *verbose, "list every entry, not only orphans and what gc frees");
  cmd->callback([&g, &rc, json, verbose] {
    auto stub = api::Df::NewStub(Connect(g));
    api::UsageResponse resp;
    auto ctx = CallContext(g);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));  // a large root takes a while
    grpc::Status s = stub->Usage(ctx.get(), api::UsageRequest{}, &resp);
    if (!s.ok()) {
      rc = Fail("df", s);
      return;
    }
    if (*json) {
      std::printf("%s\n", ToJson(resp).dump(2).c_str());
    } else {
      PrintTable(resp, *verbose);
    }
  });
}

}  // namespace berth::cli
