{
  "targets": [
    {
      "target_name": "mge_mpi",
      "sources": ["native/mpi_addon.cc"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "<!@(node scripts/mpi-flags.mjs compile)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "OMPI_SKIP_MPICXX", "MPICH_SKIP_MPICXX"],
      "libraries": ["<!@(node scripts/mpi-flags.mjs link)", "-ldl"]
    }
  ]
}
