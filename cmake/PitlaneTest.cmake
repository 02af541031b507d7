# Test helpers shared by every component.
#
# pl_add_unit_test(NAME name SOURCES a.c ... LIBS lib ... [LABELS l ...] [TIMEOUT s])
#   A Criterion test executable, registered with ctest under label "unit" (plus LABELS).
#   The working directory is the build folder of the test; PITLANE_SOURCE_DIR and
#   PITLANE_BINARY_DIR are set in the environment so tests can find data files.
#
# pl_add_fuzz_target(NAME name SOURCE f.c LIBS lib ... CORPUS dir)
#   A libFuzzer target (fuzz_NAME, only with PITLANE_FUZZ and clang) and, always, a replay
#   driver (replay_NAME) that feeds every file of the seed corpus to LLVMFuzzerTestOneInput;
#   the replay runs in the ordinary test suite under label "fuzz-replay".
function(pl_add_unit_test)
	cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
	add_executable(${T_NAME} ${T_SOURCES})
	target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} PkgConfig::CRITERION)
	# Criterion's Test() macro defines functions without prior prototypes.
	target_compile_options(${T_NAME} PRIVATE -Wno-missing-prototypes)
	add_test(NAME ${T_NAME} COMMAND ${T_NAME} --jobs 1)
	if(NOT T_TIMEOUT)
		set(T_TIMEOUT 300)
	endif()
	set_tests_properties(${T_NAME} PROPERTIES
		LABELS "unit;${T_LABELS}"
		TIMEOUT ${T_TIMEOUT}
		ENVIRONMENT "PITLANE_SOURCE_DIR=${CMAKE_SOURCE_DIR};PITLANE_BINARY_DIR=${CMAKE_BINARY_DIR}")
endfunction()

# pl_add_script_test(NAME name COMMAND cmd args... [LABELS l ...] [TIMEOUT s])
#   An integration test run as a program or shell script (exit 0 = pass, 77 = skip).
function(pl_add_script_test)
	cmake_parse_arguments(T "" "NAME;TIMEOUT" "COMMAND;LABELS" ${ARGN})
	add_test(NAME ${T_NAME} COMMAND ${T_COMMAND})
	if(NOT T_TIMEOUT)
		set(T_TIMEOUT 300)
	endif()
	set_tests_properties(${T_NAME} PROPERTIES
		LABELS "integration;${T_LABELS}"
		TIMEOUT ${T_TIMEOUT}
		SKIP_RETURN_CODE 77
		ENVIRONMENT "PITLANE_SOURCE_DIR=${CMAKE_SOURCE_DIR};PITLANE_BINARY_DIR=${CMAKE_BINARY_DIR}")
endfunction()

function(pl_add_fuzz_target)
	cmake_parse_arguments(F "" "NAME;SOURCE;CORPUS" "LIBS" ${ARGN})
	add_executable(replay_${F_NAME} ${F_SOURCE} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_main.c)
	target_link_libraries(replay_${F_NAME} PRIVATE ${F_LIBS})
	target_compile_options(replay_${F_NAME} PRIVATE -Wno-missing-prototypes)
	add_test(NAME replay_${F_NAME} COMMAND replay_${F_NAME} ${F_CORPUS})
	set_tests_properties(replay_${F_NAME} PROPERTIES LABELS "unit;fuzz-replay" TIMEOUT 300)
	if(PITLANE_FUZZ AND CMAKE_C_COMPILER_ID MATCHES "Clang")
		add_executable(fuzz_${F_NAME} ${F_SOURCE})
		target_compile_options(fuzz_${F_NAME} PRIVATE -fsanitize=fuzzer -Wno-missing-prototypes)
		target_link_options(fuzz_${F_NAME} PRIVATE -fsanitize=fuzzer)
		target_link_libraries(fuzz_${F_NAME} PRIVATE ${F_LIBS})
		# A short smoke run of the real fuzzer, seeded with the corpus (a copy, so the tree stays clean).
		add_test(NAME fuzz_smoke_${F_NAME}
			COMMAND ${CMAKE_COMMAND} -E env sh -c
			"rm -rf \"$0\" && mkdir -p \"$0\" && cp -r \"$2\"/. \"$0\"/ && \"$1\" -max_total_time=5 -timeout=5 \"$0\""
			${CMAKE_CURRENT_BINARY_DIR}/fuzz_${F_NAME}.work $<TARGET_FILE:fuzz_${F_NAME}> ${F_CORPUS})
		set_tests_properties(fuzz_smoke_${F_NAME} PROPERTIES LABELS "fuzz-smoke" TIMEOUT 120)
	endif()
endfunction()
