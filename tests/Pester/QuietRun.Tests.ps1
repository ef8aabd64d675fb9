# tools/Test-QuietLog.ps1, the check build.ps1 -Task Test runs on the log of the whole run (its
# own output, the build's, xunit's and this suite's): it must find each kind of noise, and only
# noise, so that a clean run passes and a noisy one fails.

BeforeAll {
    $script:Check = Join-Path $PSScriptRoot '../../tools/Test-QuietLog.ps1'
    function Test-Log([string[]] $Lines, [switch] $Plain) {
        $path = Join-Path $TestDrive "log-$([guid]::NewGuid().ToString('N')).log"
        [IO.File]::WriteAllLines($path, $Lines)
        @(& $script:Check -Path $path -Plain:$Plain)
    }
}

Describe 'The check of the test run''s output' {
    It 'passes the lines of a clean run, test names about -WhatIf and BrokenPipe included' {
        Test-Log @(
            'Built /work/out/SpliceModule'
            'Passed!  - Failed:     0, Passed:   144, Skipped:     0, Total:   144'
            '  [+] creates nothing with -WhatIf 12ms'
            '  [+] reports a pipe whose reader is gone as BrokenPipe 43ms'
            '  [+] warns when a file was not verified 20ms'
            'xunit: 144 passed, 0 failed; Pester: 19 passed, 0 failed, 0 skipped'
        ) -Plain | Should -BeNullOrEmpty
    }

    It 'reports <Kind> with its line number' -ForEach @(
        @{ Kind = 'a compiler warning'; Line = '/src/tests/Unit/ReceiveBatchingTests.cs(91,17): warning xUnit1031: Test methods should not use blocking task operations' }
        @{ Kind = 'an MSBuild warning'; Line = 'MSBUILD : warning MSB4011: the project was imported twice' }
        @{ Kind = 'the MSBuild summary'; Line = 'Build succeeded.' }
        @{ Kind = 'a leaked What if line'; Line = 'What if: Performing the operation "Create" on target "kernel pipe".' }
        @{ Kind = 'the EPIPE message of a helper cut off'; Line = "head: error writing 'standard output': Broken pipe" }
        @{ Kind = 'a colour code'; Line = "`e[32m  [+] copies a file`e[0m" }
    ) {
        $found = @(Test-Log @('Built /work/out/SpliceModule', $Line, 'done') -Plain)
        $found | Should -HaveCount 1
        $found[0] | Should -BeLike '2: *'
    }

    It 'leaves colour codes alone when the output was a console' {
        Test-Log @("`e[32m  [+] copies a file`e[0m") | Should -BeNullOrEmpty
    }
}
