// berth gc [--dry-run]: run garbage collection now and print what it removed (or would remove) and why.
#include <cstdio>

#include "berth/services/gc/v1/gc.grpc.pb.h"
#include "verbs.h"

namespace berth::cli {

void AddGc(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("gc", "collect garbage now: what no image, container, lease or gc.root holds");
  auto dry_run = std::make_shared<bool>(false);
  cmd->add_flag("--dry-run", *dry_run, "only print what would be removed");
  cmd->callback([&g, &rc, dry_run] {
    auto stub = berth::services::gc::v1::GC::NewStub(Connect(g));
    berth::services::gc::v1::CollectRequest req;
    req.set_dry_run(*dry_run);
    berth::services::gc::v1::CollectResponse resp;
    auto ctx = CallContext(g);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));  // a large store takes a while
    grpc::Status s = stub->Collect(ctx.get(), req, &resp);
    if (!s.ok()) {
      rc = Fail("gc", s);
      return;
    }
    const char* verb = resp.dry_run() ? "would remove" : "removed";
    for (const auto& r : resp.removed()) {
      std::string where = r.on_disk() ? "disk" : "ns " + r.namespace_();
      std::string size = r.bytes() > 0 ? ", " + std::to_string(r.bytes()) + " bytes" : "";
      std::printf("%s %s %s (%s%s): %s\n", verb, r.type().c_str(), r.key().c_str(), where.c_str(), size.c_str(),
                  r.reason().c_str());
    }
    std::printf("%s%s\n", resp.dry_run() ? "dry run: " : "", resp.summary().c_str());
  });
}

}  // namespace berth::cli
