// One function per verb; each registers its subcommand on the app.
#pragma once

#include <CLI/CLI.hpp>

#include "client.h"

namespace berth::cli {

void AddVersion(CLI::App& app, const Globals& g, int& rc);
void AddImages(CLI::App& app, const Globals& g, int& rc);
void AddGc(CLI::App& app, const Globals& g, int& rc);
void AddDf(CLI::App& app, const Globals& g, int& rc);
void AddFsck(CLI::App& app, const Globals& g, int& rc);
void AddDoctor(CLI::App& app, const Globals& g, int& rc);
void AddPull(CLI::App& app, const Globals& g, int& rc);
void AddPs(CLI::App& app, const Globals& g, int& rc);
void AddKill(CLI::App& app, const Globals& g, int& rc);
void AddRm(CLI::App& app, const Globals& g, int& rc);
void AddRun(CLI::App& app, const Globals& g, int& rc);
void AddExec(CLI::App& app, const Globals& g, int& rc);

}  // namespace berth::cli
