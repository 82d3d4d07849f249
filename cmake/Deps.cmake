# Third-party libraries as link targets that can be shared or static per executable.
#
# Libraries and tests link Debian's shared libraries. An executable marked with berth_link_static(TARGET) gets
# gRPC, protobuf, abseil, OpenSSL, RE2, c-ares and LMDB from Debian's static archives instead, in one group, and is
# linked without PIE: the daemon then maps and relocates only the code it uses, which is most of its idle memory.
# The switch is a generator expression on the linking executable, so the same berth_* libraries serve both.

set(BERTH_STATIC_LIBS
  grpc++ grpc upb re2 cares address_sorting gpr protobuf ssl crypto lmdb archive nettle lzma bz2 zstd z)
execute_process(COMMAND pkg-config --static --libs-only-l grpc++ protobuf
  OUTPUT_VARIABLE _pc_libs OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REGEX MATCHALL "-labsl_[a-z0-9_]+" _absl_libs "${_pc_libs}")
list(REMOVE_DUPLICATES _absl_libs)
set(_static_group -Wl,-Bstatic -Wl,--start-group)
foreach(lib ${BERTH_STATIC_LIBS})
  list(APPEND _static_group -l${lib})
endforeach()
list(APPEND _static_group ${_absl_libs} -Wl,--end-group -Wl,-Bdynamic -ldl -lrt -pthread)

set(_is_static "$<BOOL:$<TARGET_PROPERTY:BERTH_STATIC_DEPS>>")
function(berth_dependency name)
  add_library(${name} INTERFACE)
  target_link_libraries(${name} INTERFACE "$<$<NOT:${_is_static}>:${ARGN}>" "$<${_is_static}:${_static_group}>")
endfunction()

berth_dependency(berth_dep_absl absl::status absl::statusor absl::strings absl::time)
berth_dependency(berth_dep_grpc gRPC::grpc++ protobuf::libprotobuf absl::synchronization)
berth_dependency(berth_dep_crypto OpenSSL::Crypto)
berth_dependency(berth_dep_re2 PkgConfig::RE2)
berth_dependency(berth_dep_lmdb PkgConfig::LMDB)
berth_dependency(berth_dep_zlib ZLIB::ZLIB)
berth_dependency(berth_dep_zstd PkgConfig::LIBZSTD)
# libarchive only parses tar headers here, so the static link pulls in no compression or ACL code of its own.
berth_dependency(berth_dep_archive PkgConfig::LIBARCHIVE)

function(berth_link_static target)
  set_target_properties(${target} PROPERTIES BERTH_STATIC_DEPS ON)
  target_link_options(${target} PRIVATE -no-pie -Wl,--gc-sections -static-libstdc++ -static-libgcc)
endfunction()
