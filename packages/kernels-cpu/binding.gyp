{
  "variables": {
    "mge_sanitize%": 0
  },
  "target_defaults": {
    "cflags!": [
      "-fno-exceptions"
    ],
    "cflags_cc!": [
      "-fno-exceptions",
      "-fno-rtti",
      "-std=gnu++17",
      "-std=gnu++20"
    ],
    "cflags": [
      "-O3",
      "-fno-math-errno",
      "-fvisibility=hidden",
      "-fPIC"
    ],
    "cflags_cc": [
      "-std=c++17",
      "-fexceptions"
    ],
    "include_dirs": [
      "<!(node -p \"require('node-addon-api').include_dir\")"
    ],
    "defines": [
      "NAPI_VERSION=8",
      "NAPI_CPP_EXCEPTIONS"
    ],
    "conditions": [
      [
        "mge_sanitize==1",
        {
          "cflags": [
            "-fsanitize=address,undefined",
            "-fno-omit-frame-pointer",
            "-fno-sanitize-recover=undefined",
            "-g"
          ],
          "ldflags": [
            "-fsanitize=address,undefined"
          ]
        }
      ]
    ]
  },
  "targets": [
    {
      "target_name": "mge_simd_avx2",
      "type": "static_library",
      "sources": [
        "native/gemm_kernel_avx2.cc",
        "native/conv_direct_avx2.cc",
        "native/pointwise_avx2.cc"
      ],
      "cflags": [
        "-mavx2",
        "-mfma"
      ],
      "conditions": [
        [
          "target_arch!='x64'",
          {
            "type": "none",
            "sources!": [
              "native/gemm_kernel_avx2.cc",
              "native/conv_direct_avx2.cc",
              "native/pointwise_avx2.cc"
            ],
            "cflags!": [
              "-mavx2",
              "-mfma"
            ]
          }
        ]
      ]
    },
    {
      "target_name": "mge_simd_avx512",
      "type": "static_library",
      "sources": [
        "native/gemm_kernel_avx512.cc",
        "native/conv_direct_avx512.cc",
        "native/pointwise_avx512.cc",
        "native/depthwise3x3_avx512.cc"
      ],
      "cflags": [
        "-mavx512f",
        "-mavx512vl",
        "-mavx512dq",
        "-mavx512bw",
        "-mavx2",
        "-mfma"
      ],
      "conditions": [
        [
          "target_arch!='x64'",
          {
            "type": "none",
            "sources!": [
              "native/gemm_kernel_avx512.cc",
              "native/conv_direct_avx512.cc",
              "native/pointwise_avx512.cc",
              "native/depthwise3x3_avx512.cc"
            ],
            "cflags!": [
              "-mavx512f",
              "-mavx512vl",
              "-mavx512dq",
              "-mavx512bw",
              "-mavx2",
              "-mfma"
            ]
          }
        ]
      ]
    },
    {
      "target_name": "mge_simd_neon",
      "type": "static_library",
      "sources": [
        "native/gemm_kernel_neon.cc",
        "native/conv_direct_neon.cc"
      ],
      "conditions": [
        [
          "target_arch!='arm64'",
          {
            "type": "none",
            "sources!": [
              "native/gemm_kernel_neon.cc",
              "native/conv_direct_neon.cc"
            ]
          }
        ]
      ]
    },
    {
      "target_name": "mge_cpu",
      "dependencies": [
        "mge_simd_avx2",
        "mge_simd_avx512",
        "mge_simd_neon"
      ],
      "sources": [
        "native/addon.cc",
        "native/thread_pool.cc",
        "native/gemm.cc",
        "native/epilogue.cc",
        "native/matmul.cc",
        "native/elementwise.cc",
        "native/attention.cc",
        "native/fused_elementwise.cc",
        "native/gelu.cc",
        "native/layernorm.cc",
        "native/cross_entropy.cc",
        "native/reduce.cc",
        "native/layout.cc",
        "native/conv.cc",
        "native/conv_winograd.cc",
        "native/depthwise.cc",
        "native/grouped.cc",
        "native/pointwise.cc",
        "native/pool.cc",
        "native/pool_max.cc",
        "native/indexing.cc",
        "native/topk.cc",
        "native/elementwise_program.cc",
        "native/memory.cc"
      ],
      "ldflags": [
        "-pthread"
      ],
      "cflags": [
        "-pthread"
      ]
    },
    {
      "target_name": "mge_gc_watch",
      "sources": [
        "native/gc_watch.c"
      ],
      "defines!": [
        "NAPI_VERSION=8"
      ],
      "defines": [
        "NAPI_EXPERIMENTAL"
      ]
    }
  ]
}
