/*
 * conv_fft_ops.c -- the float32 and float64 passes of the fft operator (template: conv_fft_template.h,
 * contract: conv_fft.c).
 */
#include "fft_internal.h"

#include "cnnkern/ck_gemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if CK_BUILD_OPENMP
#include <omp.h>
#define CK_THREAD_NUM() omp_get_thread_num()
#else
#define CK_THREAD_NUM() 0
#endif

#define REAL float
#define LANES_T CK_FFT_LANES_F32
#define FFT_FORWARD_LANES_T ck_fft_forward_lanes_f32
#define FFT_INVERSE_LANES_T ck_fft_inverse_lanes_f32
#define FFT_FORWARD_T ck_fft_forward_f32
#define FFT_INVERSE_T ck_fft_inverse_f32
#define CGEMM ck_cgemm_f32
#define GEMM ck_gemm_f32
#define MAC ck_conv_fft_mac_f32
#define DFT_SPECTRUM dft_spectrum_f32
#define DFT_TABLES dft_tables_f32
#define DFT_CHUNK dft_chunk_f32
#define INVERSE_IMAGES inverse_images_f32
#define FORWARD_IMAGES forward_images_f32
#define STORE_SPECTRA store_spectra_f32
#define WORKER_IMAGES worker_images_f32
#define GATHER_KERNEL gather_kernel_f32
#define INVERSE_BLOCK inverse_block_f32
#define FUSED_RUN fused_run_f32
#define CGEMM_NAIVE ck_cgemm_naive_f32
#define TILE_BOX tile_box_f32
#define GATHER_INPUT gather_input_f32
#define GATHER_OUTPUT gather_output_f32
#define SCATTER_OUTPUT scatter_output_f32
#define MIX_FORWARD mix_forward_f32
#define TRANSFORM_BLOCK transform_block_f32
#define PLAIN_RUN plain_run_f32
#define FFT_SPECTRUM ck_conv_fft_weight_spectrum_f32
#define FFT_RUN ck_conv_fft_run_f32
#define FFT_RUN_BWD_WEIGHT ck_conv_fft_run_bwd_weight_f32
#define FFT_FWD ck_conv_fwd__fft_f32
#define FFT_BWD_INPUT ck_conv_bwd_input__fft_f32
#define FFT_BWD_WEIGHT ck_conv_bwd_weight__fft_f32
#include "conv_fft_template.h" /* #undefs the names above */

#define REAL double
#define LANES_T CK_FFT_LANES_F64
#define FFT_FORWARD_LANES_T ck_fft_forward_lanes_f64
#define FFT_INVERSE_LANES_T ck_fft_inverse_lanes_f64
#define FFT_FORWARD_T ck_fft_forward_f64
#define FFT_INVERSE_T ck_fft_inverse_f64
#define CGEMM ck_cgemm_f64
#define GEMM ck_gemm_f64
#define MAC ck_conv_fft_mac_f64
#define DFT_SPECTRUM dft_spectrum_f64
#define DFT_TABLES dft_tables_f64
#define DFT_CHUNK dft_chunk_f64
#define INVERSE_IMAGES inverse_images_f64
#define FORWARD_IMAGES forward_images_f64
#define STORE_SPECTRA store_spectra_f64
#define WORKER_IMAGES worker_images_f64
#define GATHER_KERNEL gather_kernel_f64
#define INVERSE_BLOCK inverse_block_f64
#define FUSED_RUN fused_run_f64
#define CGEMM_NAIVE ck_cgemm_naive_f64
#define TILE_BOX tile_box_f64
#define GATHER_INPUT gather_input_f64
#define GATHER_OUTPUT gather_output_f64
#define SCATTER_OUTPUT scatter_output_f64
#define MIX_FORWARD mix_forward_f64
#define TRANSFORM_BLOCK transform_block_f64
#define PLAIN_RUN plain_run_f64
#define FFT_SPECTRUM ck_conv_fft_weight_spectrum_f64
#define FFT_RUN ck_conv_fft_run_f64
#define FFT_RUN_BWD_WEIGHT ck_conv_fft_run_bwd_weight_f64
#define FFT_FWD ck_conv_fwd__fft_f64
#define FFT_BWD_INPUT ck_conv_bwd_input__fft_f64
#define FFT_BWD_WEIGHT ck_conv_bwd_weight__fft_f64
#include "conv_fft_template.h"
