# Every example a reader may paste, run as the reader would: each EXAMPLE of docs/*.md in a
# fresh pwsh of its own, in an empty scratch directory, with the built module on PSModulePath
# (so `Import-Module SpliceModule` and autoloading work); README.md's powershell blocks in
# order in one fresh pwsh, from a directory where ./out/SpliceModule is the built module, as
# after `./build.ps1`. An example fails when it writes an error or does not finish in time.
# An example whose code begins with a comment "# Needs ..." names what it needs that a test
# machine lacks (a service, a package) and is skipped with that reason.

BeforeDiscovery {
    $root = Join-Path $PSScriptRoot '../..'
    $modelPath = Join-Path ([IO.Path]::GetTempPath()) "splicemodule-examples-$([guid]::NewGuid().ToString('N')).json"
    try {
        & (Join-Path $root 'tools/Build-Help.ps1') -DocsPath (Join-Path $root 'docs') -ModelPath $modelPath
        $model = Get-Content -Raw $modelPath | ConvertFrom-Json
    }
    finally { Remove-Item -LiteralPath $modelPath -ErrorAction Ignore }
    $examples = @(foreach ($page in $model.Commands) {
            foreach ($example in $page.Examples) { @{ Page = $page.Name; Title = $example.Title; Code = $example.Code } }
        }
        # The about topics' EXAMPLES: each powershell block of that section.
        foreach ($about in Get-ChildItem (Join-Path $root 'docs') -Filter 'about_*.md') {
            $section = [regex]::Match((Get-Content -Raw $about.FullName), '(?ms)^# EXAMPLES\s*\n(.*?)(?=^# [A-Z][A-Z ]*$)').Groups[1].Value
            $n = 0
            foreach ($block in [regex]::Matches($section, '(?ms)^```powershell\s*\n(.*?)^```')) {
                @{ Page = $about.BaseName; Title = "EXAMPLES block $((++$n))"; Code = $block.Groups[1].Value }
            }
        })
    $readme = Get-Content -Raw (Join-Path $root 'README.md')
    $blocks = @([regex]::Matches($readme, '(?ms)^```powershell\s*\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    $script:ModuleDir = Split-Path $env:SPLICEMODULE_TEST_MODULE -Parent
    $script:Needs = '^\s*#\s*Needs\s+(.+)'

    function New-Scratch {
        $dir = Join-Path $TestDrive "scratch-$([guid]::NewGuid().ToString('N'))"
        (New-Item -ItemType Directory -Path $dir).FullName
    }

    # Runs pasted code in a fresh pwsh; what a reader would see as an error fails the example.
    function Invoke-Pasted([string] $Code, [string] $Directory, [hashtable] $Environment) {
        # NO_COLOR: errors as plain text, as a report can hold them.
        $run = Invoke-FreshPwsh -Script $Code -WorkingDirectory $Directory -Environment ($Environment + @{ NO_COLOR = '1' }) -TimeoutSeconds 300
        $errors = $run.Error -replace '\e\[[0-9;]*[A-Za-z]'
        $shown = "exit code $($run.ExitCode)`noutput: $($run.Output -replace '\e\[[0-9;]*[A-Za-z]')"
        $errors.Trim() | Should -BeNullOrEmpty -Because "the example must run without errors ($shown)"
        $run.ExitCode | Should -Be 0 -Because $shown
        $run
    }
}

Describe 'The examples' {
    It 'come from every page and the about topic' -ForEach @(@{ Found = $examples }) {
        $pages = @(Get-ChildItem (Join-Path $PSScriptRoot '../../docs') -Filter '*.md').BaseName
        @($pages | Where-Object { $_ -notin $Found.Page }) | Should -BeNullOrEmpty -Because 'every page shows examples'
    }

    It 'close the pipes and descriptors they open' -ForEach @(@{ Found = $examples }) {
        # A pasted example that leaves a descriptor open leaks it into the reader's session.
        @($Found | Where-Object { $_.Code -match 'New-KernelPipe|Open-SpliceDescriptor' -and $_.Code -notmatch 'Close-SpliceDescriptor' } |
                ForEach-Object { "$($_.Page): $($_.Title)" }) | Should -BeNullOrEmpty
    }
}

Describe 'docs/<Page>.md: <Title>' -ForEach $examples {
    It 'runs when pasted into a fresh pwsh' {
        if ($Code -match $script:Needs) { Set-ItResult -Skipped -Because $Matches[1].Trim(); return }
        $environment = @{ PSModulePath = "$script:ModuleDir$([IO.Path]::PathSeparator)$env:PSModulePath" }
        Invoke-Pasted -Code $Code -Directory (New-Scratch) -Environment $environment | Out-Null
    }
}

Describe 'README.md' {
    It 'runs its powershell blocks, in order, in one fresh pwsh after a build' -ForEach @(@{ Blocks = $blocks }) {
        $Blocks.Count | Should -BeGreaterThan 3
        $runnable = @($Blocks | Where-Object { $_ -notmatch $script:Needs })
        $skipped = @($Blocks | Where-Object { $_ -match $script:Needs })
        $skipped.Count | Should -BeLessOrEqual 1 -Because 'only the package install needs what a test machine lacks'
        $scratch = New-Scratch
        # The repository's root as the reader has it after ./build.ps1: ./out/SpliceModule.
        New-Item -ItemType Directory -Path (Join-Path $scratch 'out') | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $scratch 'out/SpliceModule') -Target $env:SPLICEMODULE_TEST_MODULE | Out-Null
        $run = Invoke-Pasted -Code ($runnable -join "`n") -Directory $scratch -Environment @{}
        $run.Output | Should -Match 'SendFile' -Because 'the last block sends a file to a socket'
        $run.Output | Should -Match 'disk\.img\s+268435456\s+(CopyFileRange|Reflink|Splice|SendFile|ReadWrite)\s+True\s+4194304' -Because 'the image has 4 MiB of data, so its copy names the method that moved them'
        (Get-FileHash (Join-Path $scratch 'received.bin')).Hash | Should -Be (Get-FileHash (Join-Path $scratch 'random-1g.bin')).Hash
    }
}
