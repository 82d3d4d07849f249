// berth gc [--dry-run]: run garbage collection now and print what it removed (or would remove) and why.
// Where the collection is goes to stderr (a line per phase; on a terminal, one line updated in place), so
// stdout stays the list of removals and the summary.
#include <unistd.h>

#include <cstdio>

#include "berth/services/gc/v1/gc.grpc.pb.h"
#include "verbs.h"

namespace berth::cli {

namespace {

namespace api = berth::services::gc::v1;

// "marking", "sweeping metadata: 12 records", "removing disk objects: 40/120", "removing snapshots: 3".
std::string DescribeProgress(const api::Progress& p) {
  if (p.phase() == "marking") return p.phase();
  if (p.phase() == "sweeping metadata") return p.phase() + ": " + std::to_string(p.done()) + " records";
  if (p.total() > 0) return p.phase() + ": " + std::to_string(p.done()) + "/" + std::to_string(p.total());
  return p.phase() + ": " + std::to_string(p.done());
}

// A terminal gets one line rewritten in place; anything else a line per phase, with its last count.
class ProgressPrinter {
 public:
  ProgressPrinter() : tty_(::isatty(STDERR_FILENO) != 0) {}
  void Show(const api::Progress& p) {
    if (tty_) {
      std::fprintf(stderr, "\r\033[Kgc: %s", DescribeProgress(p).c_str());
      return;
    }
    if (!last_.phase().empty() && last_.phase() != p.phase()) Print(last_);
    last_ = p;
  }
  void End() {
    if (tty_) {
      std::fprintf(stderr, "\r\033[K");
    } else if (!last_.phase().empty()) {
      Print(last_);
    }
  }

 private:
  static void Print(const api::Progress& p) { std::fprintf(stderr, "gc: %s\n", DescribeProgress(p).c_str()); }
  bool tty_;
  api::Progress last_;
};

}  // namespace

void AddGc(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("gc", "collect garbage now: what no image, container, lease or gc.root holds");
  auto dry_run = std::make_shared<bool>(false);
  cmd->add_flag("--dry-run", *dry_run, "only print what would be removed");
  cmd->callback([&g, &rc, dry_run] {
    auto stub = api::GC::NewStub(Connect(g));
    api::CollectRequest req;
    req.set_dry_run(*dry_run);
    auto ctx = CallContext(g);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));  // a large store takes a while
    auto reader = stub->CollectWithProgress(ctx.get(), req);
    ProgressPrinter printer;
    api::CollectEvent e;
    api::CollectResponse resp;
    bool have_result = false;
    while (reader->Read(&e)) {
      if (e.has_progress()) {
        printer.Show(e.progress());
      } else if (e.has_result()) {
        resp = e.result();
        have_result = true;
      }
    }
    printer.End();
    grpc::Status s = reader->Finish();
    if (!s.ok()) {
      rc = Fail("gc", s);
      return;
    }
    if (!have_result) {
      rc = Fail("gc", grpc::Status(grpc::StatusCode::INTERNAL, "berthd sent no result"));
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
