# Warnings are errors everywhere. Flags accepted by both gcc 12 and clang 14.
set(PITLANE_WARNINGS
	-Wall -Wextra -Werror
	-Wformat=2 -Wformat-security
	-Wshadow
	-Wstrict-prototypes
	-Wmissing-prototypes
	-Wpointer-arith
	-Wvla
	-Wundef
	-Wcast-align
	-Wwrite-strings
	-Wimplicit-fallthrough
	-Wno-unused-parameter)
add_compile_options(${PITLANE_WARNINGS})
add_compile_definitions(_GNU_SOURCE)
# Hardening for every build that is not sanitized (the sanitizers bring their own checks).
if(NOT PITLANE_SANITIZE)
	add_compile_options(-fstack-protector-strong)
	if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
		add_compile_definitions(_FORTIFY_SOURCE=2)
	endif()
	add_link_options(-Wl,-z,relro -Wl,-z,now)
endif()
