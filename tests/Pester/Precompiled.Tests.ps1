# The module ships compiled ahead of time (ReadyToRun) for the runtime of the PowerShell the
# project pins, with its IL kept for the older runtimes of PowerShell 7.4 and 7.5. What a user
# sees is a faster first copy in a fresh pwsh; what is tested here is the cause: the runtime runs
# the precompiled code instead of compiling the module's methods as they are first called.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/TestFiles.psm1') -Force
    $script:Dll = Join-Path $env:SPLICEMODULE_TEST_MODULE 'SpliceModule.dll'
}

Describe 'The built module''s code' {
    It 'is a ReadyToRun image that keeps its IL' {
        # The reader owns the stream and closes it.
        $pe = [System.Reflection.PortableExecutable.PEReader]::new([IO.File]::OpenRead($script:Dll))
        try {
            $pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size | Should -BeGreaterThan 0 -Because 'crossgen2 writes its header there'
            $metadata = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
            $withBody = @($metadata.MethodDefinitions | Where-Object { $metadata.GetMethodDefinition($_).RelativeVirtualAddress -ne 0 })
            $withBody.Count | Should -BeGreaterThan 500 -Because 'a runtime that ignores the native code compiles the IL'
        }
        finally { $pe.Dispose() }
    }

    It 'runs precompiled in a fresh pwsh: a first tree copy compiles almost none of the module''s methods' {
        $tree = Join-Path $TestDrive 'tree'
        foreach ($d in 1..5) {
            $null = New-Item -ItemType Directory -Path (Join-Path $tree "d$d") -Force
            foreach ($f in 1..10) { New-TestFile (Join-Path $tree "d$d/f$f") 4096 }
            $null = New-Item -ItemType SymbolicLink -Path (Join-Path $tree "d$d/link") -Target "f1"
        }
        $maps = Join-Path $TestDrive 'maps'
        $null = New-Item -ItemType Directory -Path $maps
        $script = "`$ErrorActionPreference = 'Stop'; Import-Module '$env:SPLICEMODULE_TEST_MODULE'; " +
            "Copy-SpliceItem -LiteralPath '$tree' -Destination '$TestDrive/copy' -Recurse; Copy-SpliceItem -LiteralPath '$tree/d1/f1' -Destination '$TestDrive/one'"
        # A cache of its own: pwsh replays the methods an earlier pwsh compiled (its startup
        # profile, under the cache directory) on a background thread, whatever that one ran.
        $environment = @{ DOTNET_PerfMapEnabled = '3'; DOTNET_PerfMapJitDumpPath = $maps; XDG_CACHE_HOME = (Join-Path $TestDrive 'cache') }
        $run = Invoke-FreshPwsh -TimeoutSeconds 120 -Script $script -Environment $environment
        $run.ExitCode | Should -Be 0 -Because $run.Error
        (Get-Sha "$TestDrive/copy/d5/f10") | Should -Be (Get-Sha "$tree/d5/f10")

        # The runtime lists every method it compiled in perf-<pid>.map; precompiled code is not listed.
        $map = @(Get-ChildItem -LiteralPath $maps -Filter 'perf-*.map')
        $map.Count | Should -Be 1
        $compiled = @(Get-Content -LiteralPath $map[0].FullName | Where-Object { $_ -like '*`[SpliceModule`]*' })
        $compiled.Count | Should -BeLessThan 30 -Because "the IL-only build compiled about 450 here; now $($compiled.Count), among them: $(($compiled | Select-Object -First 5) -join '; ')"
    }
}
