// berth fsck [--repair] [--force] [--plain-http] [--json]: verify blobs, snapshots and metadata against each
// other; exit 0 when clean, 1 when problems remain.
#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "berth/services/fsck/v1/fsck.grpc.pb.h"
#include "verbs.h"

namespace berth::cli {

namespace {

namespace api = berth::services::fsck::v1;

nlohmann::json ToJson(const api::Problem& p) {
  return {{"object", p.object()},
          {"namespace", p.namespace_()},
          {"path", p.path()},
          {"what", p.what()},
          {"repair", p.repair()},
          {"holders", std::vector<std::string>(p.holders().begin(), p.holders().end())},
          {"repaired", p.repaired()},
          {"repair_error", p.repair_error()}};
}

void PrintProblem(const api::Problem& p, bool repair) {
  std::string holders;
  for (const std::string& h : p.holders()) holders += (holders.empty() ? "" : ", ") + h;
  std::printf("%s%s%s\n  path: %s\n  problem: %s\n", p.object().c_str(),
              p.namespace_().empty() ? "" : (" (ns " + p.namespace_() + ")").c_str(),
              holders.empty() ? "" : (" held by " + holders).c_str(), p.path().c_str(), p.what().c_str());
  if (!repair) {
    std::printf("  repair would: %s\n", p.repair().c_str());
  } else if (p.repaired()) {
    std::printf("  repaired: %s\n", p.repair().c_str());
  } else {
    std::printf("  NOT repaired (%s): %s\n", p.repair().c_str(), p.repair_error().c_str());
  }
}

}  // namespace

void AddFsck(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("fsck", "verify blobs, snapshots and metadata; --repair fixes what it can");
  struct Flags {
    bool repair = false, force = false, plain_http = false, json = false;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_flag("--repair", f->repair, "refetch damaged blobs, re-unpack damaged snapshots, drop dangling records");
  cmd->add_flag("--force", f->force, "with --repair: also repair snapshots that running containers use");
  cmd->add_flag("--plain-http", f->plain_http, "refetch blobs over http://");
  cmd->add_flag("--json", f->json, "print the problems and the summary as JSON");
  cmd->callback([&g, &rc, f] {
    auto stub = api::Fsck::NewStub(Connect(g));
    api::CheckRequest req;
    req.set_repair(f->repair);
    req.set_force(f->force);
    req.set_plain_http(f->plain_http);
    auto ctx = CallContext(g);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::hours(6));  // reads every blob
    auto reader = stub->Check(ctx.get(), req);
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    nlohmann::json problems = nlohmann::json::array();
    api::CheckEvent e;
    api::Summary summary;
    bool have_summary = false;
    while (reader->Read(&e)) {
      if (e.has_progress()) {
        if (tty && !f->json) {
          std::fprintf(stderr, "\r%s: %ld/%ld", e.progress().phase().c_str(), static_cast<long>(e.progress().done()),
                       static_cast<long>(e.progress().total()));
        }
      } else if (e.has_problem()) {
        if (tty && !f->json) std::fprintf(stderr, "\r\033[K");
        if (f->json) {
          problems.push_back(ToJson(e.problem()));
        } else {
          PrintProblem(e.problem(), f->repair);
        }
      } else if (e.has_summary()) {
        summary = e.summary();
        have_summary = true;
      }
    }
    if (tty && !f->json) std::fprintf(stderr, "\r\033[K");
    grpc::Status s = reader->Finish();
    if (!s.ok()) {
      rc = Fail("fsck", s);
      return;
    }
    if (!have_summary) {
      rc = Fail("fsck", grpc::Status(grpc::StatusCode::INTERNAL, "berthd sent no summary"));
      return;
    }
    if (f->json) {
      nlohmann::json out = {{"problems", std::move(problems)},
                            {"blobs_checked", summary.blobs_checked()},
                            {"snapshots_checked", summary.snapshots_checked()},
                            {"repaired", summary.repaired()},
                            {"remaining", summary.remaining()},
                            {"summary", summary.text()}};
      std::printf("%s\n", out.dump(2).c_str());
    } else {
      std::printf("%s\n", summary.text().c_str());
    }
    rc = summary.remaining() > 0 ? 1 : 0;
  });
}

}  // namespace berth::cli
