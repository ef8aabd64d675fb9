#Requires -Version 7.4
<#
.SYNOPSIS
    The one entry point for building, testing, demonstrating and measuring SpliceModule.
.DESCRIPTION
    Build  (default) compiles the module, precompiles it (ReadyToRun, IL kept) for the .NET
           runtime of the pwsh running this script with the SDK's crossgen2 (restored through
           tools/tools.csproj), and lays out out/SpliceModule/ so that
           Import-Module ./out/SpliceModule works, with its help built from docs/*.md by
           tools/Build-Help.ps1 (tools/HelpBuilder).
    Test   builds, runs the xunit tests and the Pester suite (in a fresh pwsh) and ends with
           one line "N passed, N failed" for both together; exits non-zero on any failure.
           Everything it prints also goes to out/test-results/test-run.log, which
           tools/Test-QuietLog.ps1 then checks: a build warning, a leaked "What if:" line, a
           "Broken pipe" message or (with redirected output) a colour code counts as a failure.
    Demo   builds and shows, side by side in one run (tools/Demo.ps1): cp, Copy-Item and
           Copy-SpliceItem on a big file, a sparse image and a small-file tree; progress inside
           a big file; tee and Invoke-Tee fanning a stream out to three files.
    Bench  builds and runs bench/*.Bench.ps1 (-BenchName to pick, -Quick for a smoke run),
           writing bench/results/.
    Package builds and packs out/SpliceModule.<version>.nupkg, which Install-PSResource
           installs from a folder repository (tools/New-ModulePackage.ps1).
    Clean  removes out/ and the bin/obj folders.
    Works from any current directory. Every step runs or fails: a folder or script a step
    needs (docs/, tools/, tests/Unit, tests/Pester, bench/) that is missing is an error.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Package', 'Clean')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester tests to run (a path or a filter under tests/Pester); all when omitted.
    [string] $TestPath,

    # Bench: small sizes and 3 rounds, to check the scripts rather than to measure.
    [switch] $Quick,

    # Bench: only the benchmarks whose file name matches (e.g. Copy, CopyTree, Pipelines).
    [string] $BenchName = '*'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = $PSScriptRoot
# Redirected output (a log, CI) or NO_COLOR gets no colour codes, here and in every child pwsh,
# which reads NO_COLOR too.
$PlainOutput = [Console]::IsOutputRedirected -or [bool]$env:NO_COLOR
if ($PlainOutput) {
    $PSStyle.OutputRendering = 'PlainText'
    $env:NO_COLOR = '1'
}
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'SpliceModule'
$ResultsDir = Join-Path $Out 'test-results'

# Every step runs or fails: a piece a step needs that is missing stops the build, never skips the step.
function Assert-BuildPiece {
    param([string] $Path, [string] $What)
    if (-not (Test-Path -LiteralPath $Path)) { throw "$What '$Path' is missing; build.ps1 cannot run this step without it." }
}

function Invoke-Native {
    param([string] $Command, [string[]] $Arguments)
    & $Command @Arguments
    if ($LASTEXITCODE -ne 0) { throw "'$Command $($Arguments -join ' ')' failed with exit code $LASTEXITCODE." }
}

# The pwsh that runs this script, as a command line that starts a fresh one.
function Get-PwshCommand {
    $apphost = Join-Path $PSHOME 'pwsh'
    if ($IsLinux -or $IsMacOS) { if (Test-Path $apphost) { return , @($apphost) } }
    elseif (Test-Path "$apphost.exe") { return , @("$apphost.exe") }
    return , @('dotnet', (Join-Path $PSHOME 'pwsh.dll'))
}

# MSBuild itself, since `dotnet build` prints its summary whatever the verbosity: only warnings
# and errors show.
function Invoke-QuietBuild {
    param([string] $Project)
    Invoke-Native dotnet @('msbuild', '-restore', $Project, "-p:Configuration=$Configuration", '-nologo', '-v:quiet', '-clp:NoSummary')
}

# The manifest as it ships: release notes from CHANGELOG.md's section for ModuleVersion (so the
# two cannot disagree), and a PSCommand_ and PSCmdlet_ tag per cmdlet with PSIncludes_Cmdlet, by
# which Find-PSResource -CommandName finds the package.
function Write-BuiltManifest {
    param([string] $Source, [string] $Destination)
    $changelog = Join-Path $Root 'CHANGELOG.md'
    Assert-BuildPiece $changelog 'The changelog'
    $data = Import-PowerShellDataFile -LiteralPath $Source
    $version = $data.ModuleVersion
    $section = [regex]::Match((Get-Content -Raw $changelog), "(?ms)^## \[$([regex]::Escape($version))\] - (\d{4}-\d{2}-\d{2})\s*\n(.*?)(?=^## \[|\z)")
    if (-not $section.Success) {
        throw "CHANGELOG.md has no section '## [$version] - YYYY-MM-DD' for ModuleVersion ${version}: name the [Unreleased] changes after the version when releasing."
    }
    $notes = "$version ($($section.Groups[1].Value))`n`n$(($section.Groups[2].Value -replace '(?m)^\[[^\]]+\]: \S+\s*$', '').Trim())`n`nEvery version's changes are in CHANGELOG.md."
    $tags = @($data.PrivateData.PSData.Tags) + 'PSIncludes_Cmdlet' + @($data.CmdletsToExport | ForEach-Object { "PSCmdlet_$_"; "PSCommand_$_" })
    $text = Get-Content -Raw $Source
    $text = $text -replace "(?m)^(\s*)Tags(\s*)=.*$", ('$1Tags$2= @(' + (($tags | ForEach-Object { "'$_'" }) -join ', ') + ')')
    $text = $text -replace "(?m)^(\s*)ReleaseNotes(\s*)= ''$", ('$1ReleaseNotes$2= @''' + "`n" + $notes.Replace('$', '$$') + "`n'@")
    Set-Content -LiteralPath $Destination -Value $text -NoNewline -Encoding utf8NoBOM
}

function Invoke-Build {
    $docs = Join-Path $Root 'docs'
    $help = Join-Path $Root 'tools/Build-Help.ps1'
    Assert-BuildPiece $docs 'The help pages folder'
    Assert-BuildPiece $help 'The help step'
    Invoke-QuietBuild (Join-Path $Root 'src/SpliceModule/SpliceModule.csproj')
    $bin = Join-Path $Root "src/SpliceModule/bin/$Configuration/net8.0"
    if (Test-Path $ModuleOut) { Remove-Item $ModuleOut -Recurse -Force }
    New-Item -ItemType Directory -Path $ModuleOut -Force | Out-Null
    Invoke-Precompile (Join-Path $bin 'SpliceModule.dll') (Join-Path $ModuleOut 'SpliceModule.dll')
    Write-BuiltManifest (Join-Path $Root 'SpliceModule.psd1') (Join-Path $ModuleOut 'SpliceModule.psd1')
    Copy-Item (Join-Path $Root 'src/SpliceModule/SpliceModule.format.ps1xml') $ModuleOut
    # Help: docs/*.md through tools/HelpBuilder, the one converter (the help tests read with it too).
    & $help -DocsPath $docs -OutputPath $ModuleOut
    Write-Host "Built $ModuleOut"
}

# tools/tools.csproj downloads what the build and the tests take from NuGet (Pester, crossgen2);
# restored and asked once a run.
$script:ToolsProperties = $null
function Get-ToolsProperty {
    param([string] $Name)
    if (-not $script:ToolsProperties) {
        $tools = Join-Path $Root 'tools/tools.csproj'
        Assert-BuildPiece $tools 'The tools project'
        Invoke-Native dotnet @('msbuild', '-t:Restore', $tools, '-nologo', '-v:quiet', '-clp:NoSummary')
        $names = 'NuGetPackageRoot', 'Crossgen2Path', 'BundledNETCoreAppPackageVersion'
        $json = & dotnet msbuild $tools -nologo @($names | ForEach-Object { "-getProperty:$_" }) | Out-String
        if ($LASTEXITCODE -ne 0) { throw "The tools project could not be evaluated: $json" }
        $script:ToolsProperties = ($json | ConvertFrom-Json).Properties
    }
    $value = $script:ToolsProperties.$Name
    if (-not $value) { throw "The tools project gives no $Name." }
    return $value
}

function Get-PesterModulePath {
    $pester = Join-Path (Get-ToolsProperty 'NuGetPackageRoot') 'pester/6.2.0/tools/Pester.psd1'
    if (-not (Test-Path $pester)) { throw "Pester 6.2.0 was not restored to '$pester'." }
    return $pester
}

# PowerShell 7.6 runs on .NET 10, whose runtime ignores ReadyToRun code of another major version's
# format (a net8.0 publish's crossgen2 8 image runs there as IL only). So the module is compiled
# ahead of time for the runtime of the pwsh running this script, by the SDK's crossgen2 of that
# runtime, against that pwsh's own assemblies; the IL stays in the image, and the older runtimes of
# PowerShell 7.4 and 7.5 ignore the newer native code and compile the IL as before.
function Invoke-Precompile {
    param([string] $Assembly, [string] $Destination)
    $crossgen = Get-ToolsProperty 'Crossgen2Path'
    $version = Get-ToolsProperty 'BundledNETCoreAppPackageVersion'
    Assert-BuildPiece $crossgen 'crossgen2'
    $runtime = [System.Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()
    if (([version]$version).Major -ne [Environment]::Version.Major) {
        throw "crossgen2 $version cannot compile for the .NET $([Environment]::Version) that this pwsh runs on; build with the SDK of that runtime."
    }
    $arch = [System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant()
    $emitted = & $crossgen $Assembly -o $Destination -O --targetos linux --targetarch $arch -r (Join-Path $runtime '*.dll') -r (Join-Path $PSHOME '*.dll')
    if ($LASTEXITCODE -ne 0) { throw "crossgen2 failed with exit code ${LASTEXITCODE}: $emitted" }
}

function Get-TrxCount {
    param([string] $Path)
    [xml] $trx = Get-Content -Raw $Path
    $counters = $trx.TestRun.ResultSummary.Counters
    [pscustomobject]@{ Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout }
}

function Invoke-Test {
    $unitProject = Join-Path $Root 'tests/Unit/SpliceModule.Tests.csproj'
    $runner = Join-Path $Root 'tests/Invoke-PesterSuite.ps1'
    $quietCheck = Join-Path $Root 'tools/Test-QuietLog.ps1'
    Assert-BuildPiece $unitProject 'The xunit project'
    Assert-BuildPiece (Join-Path $Root 'tests/Pester') 'The Pester tests folder'
    Assert-BuildPiece $runner 'The Pester runner'
    Assert-BuildPiece $quietCheck 'The output check'
    if (Test-Path $ResultsDir) { Remove-Item $ResultsDir -Recurse -Force }
    New-Item -ItemType Directory -Path $ResultsDir | Out-Null
    $log = Join-Path $ResultsDir 'test-run.log'

    # Every line of the run, the children's too, to the console and to the log that is checked.
    & { Invoke-TestSteps $unitProject $runner } *>&1 | Tee-Object -FilePath $log | Out-Host
    $counts = Get-Content -Raw (Join-Path $ResultsDir 'counts.json') | ConvertFrom-Json

    $noise = @(& $quietCheck -Path $log -Plain:$PlainOutput)
    if ($noise.Count -gt 0) {
        Write-Host "The test run printed what it should not ($($noise.Count) lines; tools/Test-QuietLog.ps1):"
        $noise | ForEach-Object { Write-Host "  $_" }
    }
    $passed = $counts.Passed
    $failed = $counts.Failed + [int]($noise.Count -gt 0)
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-TestSteps {
    param([string] $UnitProject, [string] $Runner)
    Invoke-Build
    $unit = [pscustomobject]@{ Passed = 0; Failed = 0 }
    Invoke-QuietBuild $UnitProject
    & dotnet test $UnitProject -c $Configuration --no-build --nologo --logger 'trx;LogFileName=unit.trx' --logger 'console;verbosity=minimal' --results-directory $ResultsDir
    $trx = Join-Path $ResultsDir 'unit.trx'
    if (Test-Path $trx) { $unit = Get-TrxCount $trx } else { $unit = [pscustomobject]@{ Passed = 0; Failed = 1 } }

    $pesterResult = Join-Path $ResultsDir 'pester.json'
    $pwsh = Get-PwshCommand
    $arguments = @('-NoProfile', '-NonInteractive', '-File', $Runner, '-PesterPath', (Get-PesterModulePath), '-ModulePath', $ModuleOut, '-ResultPath', $pesterResult)
    if ($TestPath) { $arguments += @('-TestPath', $TestPath) }
    if (-not $PlainOutput) { $arguments += '-Colour' }
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) @arguments
    $pester = if (Test-Path $pesterResult) { Get-Content -Raw $pesterResult | ConvertFrom-Json } else { [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 } }

    Write-Host "xunit: $($unit.Passed) passed, $($unit.Failed) failed; Pester: $($pester.Passed) passed, $($pester.Failed) failed, $($pester.Skipped) skipped"
    [pscustomobject]@{ Passed = $unit.Passed + $pester.Passed; Failed = $unit.Failed + $pester.Failed } |
        ConvertTo-Json | Set-Content -Path (Join-Path $ResultsDir 'counts.json')
}

function Invoke-Demo {
    Assert-BuildPiece (Join-Path $Root 'tools/Demo.ps1') 'The demo script'
    Invoke-Build
    $pwsh = Get-PwshCommand
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $Root 'tools/Demo.ps1') -ModulePath $ModuleOut
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Invoke-Bench {
    Assert-BuildPiece (Join-Path $Root 'bench') 'The benchmarks folder'
    $benches = @(Get-ChildItem (Join-Path $Root 'bench') -Filter "$BenchName.Bench.ps1" | Sort-Object Name)
    if ($benches.Count -eq 0) { throw "No benchmark in bench/ matches '$BenchName.Bench.ps1'." }
    Invoke-Build
    # The contenders beside the module (rsync, OpenSSH, GNU time), installed when missing as CI
    # installs them: a benchmark that finds one missing leaves its column out.
    if ($IsLinux -and (Get-Command bash -ErrorAction Ignore)) { & bash (Join-Path $Root '.ci/install-needs') }
    $pwsh = Get-PwshCommand
    # As root, each benchmark runs in a scheduling group of its own at the highest weight: with
    # autogroups on, other sessions' work would otherwise take half of what it measures, and
    # nice alone orders only one session's processes (bench/results/NOTES.md).
    if ((id -u) -eq '0' -and (Test-Path /proc/self/autogroup) -and (Get-Command setsid -ErrorAction Ignore)) {
        $pwsh = @('setsid', '-w', 'sh', '-c', 'echo -20 > /proc/self/autogroup && exec nice -n -20 "$@"', 'sh') + $pwsh
    }
    foreach ($bench in $benches) {
        Write-Host "== $($bench.Name)"
        $benchArguments = @('-NoProfile', '-NonInteractive', '-File', $bench.FullName, '-ModulePath', $ModuleOut, '-ResultsPath', (Join-Path $Root 'bench/results'))
        if ($Quick) { $benchArguments += '-Quick' }
        & $pwsh[0] @($pwsh | Select-Object -Skip 1) @benchArguments
        if ($LASTEXITCODE -ne 0) { throw "$($bench.Name) failed." }
    }
}

function Invoke-Package {
    Assert-BuildPiece (Join-Path $Root 'tools/New-ModulePackage.ps1') 'The packaging script'
    Invoke-Build
    # A fresh pwsh, so that PSResourceGet's settings go where the script points them.
    $pwsh = Get-PwshCommand
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $Root 'tools/New-ModulePackage.ps1') -ModulePath $ModuleOut -OutputPath $Out
    if ($LASTEXITCODE -ne 0) { throw "Packaging failed with exit code $LASTEXITCODE." }
}

function Invoke-Clean {
    foreach ($dir in @($Out) + (Get-ChildItem $Root -Recurse -Directory -Include bin, obj -ErrorAction SilentlyContinue | ForEach-Object FullName)) {
        if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
    }
}

foreach ($name in $Task) {
    & "Invoke-$name"
}
