// berth doctor [--json] [-v] [--root DIR] [--state DIR]: what breaks container runtimes on this host, each finding
// with its fix. Asks berthd (it checks as itself, on its root and state); when berthd does not answer, says so and
// runs the checks here, on --root and --state. Exit 0 when nothing fails, 1 otherwise.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "berth/services/doctor/v1/doctor.grpc.pb.h"
#include "doctor/doctor.h"
#include "fmt/format.h"
#include "verbs.h"

namespace berth::cli {

namespace {

namespace api = berth::services::doctor::v1;

struct Report {
  std::string source;  // "berthd", or "local" when berthd did not answer
  std::string root, state;
  std::vector<doctor::Finding> findings;
};

doctor::Severity FromWire(api::Status s) {
  if (s == api::FAIL) return doctor::Severity::kFail;
  if (s == api::WARN) return doctor::Severity::kWarn;
  return doctor::Severity::kOk;
}

// berthd's finding when it does not answer, with what to do about it.
doctor::Finding DaemonDown(const Globals& g, const grpc::Status& s, const std::string& root,
                           const std::string& state) {
  doctor::Finding f{.check = "berthd", .status = doctor::Severity::kFail,
                    .what = fmt::format("berthd does not answer on {}: {}", g.address, s.error_message()),
                    .detail = fmt::format("gRPC code {}; the checks below ran here, as this user, on root {} and "
                                          "state {}",
                                          static_cast<int>(s.error_code()), root, state)};
  if (s.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    f.fix = "this berthd predates berth doctor: upgrade berthd";
  } else if (doctor::DaemonHoldsRoot(root)) {
    f.fix = fmt::format("a berthd holds {}/berthd.lock: pass its socket with --address (its --address or [grpc] "
                        "address)",
                        root);
  } else {
    f.fix = fmt::format("start it: berthd --root {} --state {} (or systemctl start berthd), then rerun berth doctor",
                        root, state);
  }
  return f;
}

nlohmann::json ToJson(const Report& r) {
  nlohmann::json findings = nlohmann::json::array();
  for (const doctor::Finding& f : r.findings) {
    findings.push_back({{"check", f.check},
                        {"status", std::string(doctor::SeverityName(f.status))},
                        {"what", f.what},
                        {"detail", f.detail},
                        {"fix", f.fix}});
  }
  return {{"source", r.source},
          {"root", r.root},
          {"state", r.state},
          {"ok", !doctor::AnyFailed(r.findings)},
          {"findings", std::move(findings)}};
}

void Print(const Report& r, bool verbose) {
  int counts[3] = {0, 0, 0};
  for (const doctor::Finding& f : r.findings) {
    ++counts[static_cast<int>(f.status)];
    std::string status(doctor::SeverityName(f.status));
    for (char& c : status) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::printf("%-4s  %-8s  %s\n", status.c_str(), f.check.c_str(), f.what.c_str());
    if (!f.detail.empty() && (verbose || f.status != doctor::Severity::kOk)) {
      std::printf("%16s%s\n", "detail: ", f.detail.c_str());
    }
    if (!f.fix.empty()) std::printf("%16s%s\n", "fix: ", f.fix.c_str());
  }
  std::printf("\n%d ok, %d warn, %d fail (%s; root %s, state %s)\n", counts[0], counts[1], counts[2],
              r.source == "berthd" ? "checked by berthd" : "checked here: berthd is down", r.root.c_str(),
              r.state.c_str());
}

}  // namespace

void AddDoctor(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("doctor", "check what breaks container runtimes here, each finding with its fix");
  struct Flags {
    bool json = false, verbose = false;
    std::string root = "/var/lib/berth", state = "/run/berth";
  };
  auto f = std::make_shared<Flags>();
  cmd->add_flag("--json", f->json, "print the findings as JSON");
  cmd->add_flag("--verbose,-v", f->verbose, "print the details of passing checks too");
  cmd->add_option("--root", f->root, "berthd's root, for the checks run here when berthd is down")
      ->capture_default_str();
  cmd->add_option("--state", f->state, "berthd's state dir, for the checks run here when berthd is down")
      ->capture_default_str();
  cmd->callback([&g, &rc, f] {
    auto stub = api::Doctor::NewStub(Connect(g));
    api::CheckResponse resp;
    auto ctx = CallContext(g);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));  // gc's estimate walks the root
    grpc::Status s = stub->Check(ctx.get(), api::CheckRequest{}, &resp);
    Report report;
    if (s.ok()) {
      report = {.source = "berthd", .root = resp.root(), .state = resp.state()};
      for (const api::Finding& w : resp.findings()) {
        report.findings.push_back(
            {.check = w.check(), .status = FromWire(w.status()), .what = w.what(), .detail = w.detail(), .fix = w.fix()});
      }
    } else {
      // The moment someone runs doctor is often when berthd is down: check what needs no daemon.
      report = {.source = "local", .root = f->root, .state = f->state};
      report.findings.push_back(DaemonDown(g, s, f->root, f->state));
      for (doctor::Finding& found : doctor::RunChecks(
               {.scope = {.root = f->root, .state = f->state, .daemon_running = doctor::DaemonHoldsRoot(f->root)},
                .process = "berth"})) {
        report.findings.push_back(std::move(found));
      }
    }
    if (f->json) {
      std::printf("%s\n", ToJson(report).dump(2).c_str());
    } else {
      Print(report, f->verbose);
    }
    rc = doctor::AnyFailed(report.findings) ? 1 : 0;
  });
}

}  // namespace berth::cli
